//! Chinese administrative divisions (GB/T 2260, the Ministry of Civil Affairs' list of the
//! county level and above) and the rules of a Chinese address: province / city / district,
//! a mainland phone number.
//!
//! The list is data (`carriers/data/gb2260/`, its source and date in `SOURCE.md`), parsed and
//! indexed once on first use; every lookup is a hash-map probe.
//!
//! A CN address is checked against the list when it is written in Chinese script (its city
//! holds a Han character, [`chinese_script`]); one romanized for an international carrier
//! ("Shenzhen", "GD") keeps the free-form rules of other countries. Both need [`phone`].
//!
//! What an address in Chinese script may name:
//! - `state`: a province-level division as its official name (湖北省), its short name (湖北) or
//!   its code (42 or 420000). Hong Kong, Macao and Taiwan are in the list but have their own
//!   ISO 3166 codes (HK, MO, TW): a CN address naming them is refused with a pointer there.
//! - `city`: a prefecture-level division of that province (地级市, 地区, 自治州, 盟) as its official
//!   or short name (襄阳市, 襄阳; 恩施土家族苗族自治州, 恩施, 恩施州), or a county-level division the
//!   province governs directly (湖北 仙桃市, 海南 琼海市 …). For the four municipalities the city
//!   is the municipality itself (北京市, 北京).
//! - `district`: a county-level division of that city (区, 县, 县级市, 旗 …), normalized to its
//!   official name when it matches; **kept as given when it does not**. Carriers' own samples
//!   name areas that are not statutory counties (SF's 武当山风景区 under 十堰市; development zones,
//!   new areas), and the street line carries the full address anyway; refusing them would
//!   refuse real, deliverable addresses. The division code is then the city's.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::InvalidValue;

/// The ministry's list, `code<TAB>name` per line (2024 edition, as of 2024-12-31).
const DATA: &str = include_str!("../../data/gb2260/divisions-2024.tsv");

/// The edition of the list the hub validates against.
pub const GB2260_EDITION: &str = "2024 (Ministry of Civil Affairs, as of 2024-12-31)";

/// Province-level divisions in the list that ISO 3166 gives their own country code.
const OWN_ISO_CODE: &[(u32, &str)] = &[(710000, "TW"), (810000, "HK"), (820000, "MO")];

/// A level of the GB/T 2260 hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// 省级: province, autonomous region, municipality, special administrative region.
    Province,
    /// 地级: prefecture-level city, prefecture, autonomous prefecture, league.
    Prefecture,
    /// 县级: district, county, county-level city, banner, forestry district.
    County,
}

/// One administrative division of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Division {
    /// Its six-digit code, e.g. 420602.
    pub code: u32,
    /// Its official name, e.g. 襄城区.
    pub name: &'static str,
}

impl Division {
    /// The level its code says: `xx0000` province, `xxyy00` prefecture, otherwise county.
    pub fn level(&self) -> Level {
        if self.code.is_multiple_of(10000) {
            Level::Province
        } else if self.code.is_multiple_of(100) {
            Level::Prefecture
        } else {
            Level::County
        }
    }

    /// The six-digit code as text (`"420602"`).
    pub fn code_str(&self) -> String {
        format!("{:06}", self.code)
    }
}

/// What an address resolved to: the official names and the code of the most specific level
/// that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The province's official name (湖北省).
    pub province: &'static str,
    /// The city's official name (襄阳市; 北京市 for Beijing; 仙桃市 for a city the province
    /// governs directly).
    pub city: &'static str,
    /// The district: its official name when it is in the list, otherwise as given (trimmed).
    pub district: Option<String>,
    /// Whether `district` is a division of the list (false when it was kept as given).
    pub district_listed: bool,
    /// Six-digit code of the most specific level that matched ("420602", or the city's
    /// "420300" when the district is not a listed one).
    pub code: String,
}

/// Which part of an address did not resolve, with the message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// `state` is not a province of mainland China.
    Province(String),
    /// `city` is not in that province.
    City(String),
}

impl Unresolved {
    /// As a field error of an address (`/state` or `/city`).
    pub fn into_invalid(self) -> InvalidValue {
        match self {
            Unresolved::Province(m) => InvalidValue::new("/state", m),
            Unresolved::City(m) => InvalidValue::new("/city", m),
        }
    }
}

struct Index {
    by_code: HashMap<u32, &'static str>,
    /// Official name, short name, 2- and 6-digit code → province code (mainland and HK/MO/TW).
    provinces: HashMap<&'static str, u32>,
    /// (province code, official or short name) → the code an address's `city` stands for.
    cities: HashMap<(u32, &'static str), u32>,
    /// (city code, official or short name) → county code; for a municipality the city code
    /// is the province's.
    counties: HashMap<(u32, &'static str), u32>,
    /// Every form `cities` accepts, per province, in list order (for the published schema).
    city_forms: HashMap<u32, Vec<&'static str>>,
}

/// Ethnic groups as they appear in the names of autonomous divisions: the place name is what
/// comes before the first of them (恩施土家族苗族自治州 → 恩施). Longest first where one is
/// the start of another.
const ETHNIC: &[&str] = &[
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "各",
];

/// The place part of an autonomous division's name (before its first ethnic group), if any.
fn autonomous_place(name: &'static str) -> Option<&'static str> {
    let first = ETHNIC
        .iter()
        .flat_map(|e| {
            [format!("{e}族"), format!("{e}自治")]
                .into_iter()
                .filter_map(|p| name.find(&p))
        })
        // 内蒙古自治区 is a place named after a people: a match leaving less than two
        // characters of place is part of the place.
        .filter(|&i| name[..i].chars().count() >= 2)
        .min()?;
    Some(&name[..first])
}

/// Short forms people write for a division (襄阳 for 襄阳市, 恩施 and 恩施州 for
/// 恩施土家族苗族自治州, 湖北 for 湖北省); none shorter than two characters.
fn short_names(name: &'static str) -> Vec<String> {
    let mut out = vec![];
    let two_or_more = |s: &str| s.chars().count() >= 2;
    for (suffix, abbreviated) in [
        ("特别行政区", None),
        ("自治区", None),
        ("自治州", Some("州")),
        ("自治县", Some("县")),
        ("自治旗", Some("旗")),
    ] {
        if let Some(rest) = name.strip_suffix(suffix) {
            let place = autonomous_place(name).unwrap_or(rest);
            if two_or_more(place) {
                out.push(place.to_string());
                if let Some(a) = abbreviated {
                    out.push(format!("{place}{a}"));
                }
            }
            return out;
        }
    }
    for suffix in [
        "地区", "林区", "特区", "矿区", "省", "市", "盟", "区", "县", "旗",
    ] {
        if let Some(rest) = name.strip_suffix(suffix) {
            if two_or_more(rest) {
                out.push(rest.to_string());
            }
            break;
        }
    }
    out
}

/// Inserts official names first, then short names where no other division of the same parent
/// has that name or short name (an ambiguous short name matches nothing). `forms` gets them in
/// list order, so the published schema is the same on every run.
fn insert_names(
    map: &mut HashMap<(u32, &'static str), u32>,
    forms: &mut HashMap<u32, Vec<&'static str>>,
    members: &[(u32, u32, &'static str)],
) {
    for &(parent, code, name) in members {
        map.insert((parent, name), code);
        forms.entry(parent).or_default().push(name);
    }
    // Leaked once at first use: the index lives for the program.
    let shorts: Vec<(u32, u32, Vec<&'static str>)> = members
        .iter()
        .map(|&(parent, code, name)| {
            let s = short_names(name).into_iter();
            (
                parent,
                code,
                s.map(|s| &*Box::leak(s.into_boxed_str())).collect(),
            )
        })
        .collect();
    let mut owner: HashMap<(u32, &'static str), Option<u32>> = HashMap::new();
    for (parent, code, names) in &shorts {
        for &short in names {
            let taken = map.contains_key(&(*parent, short));
            owner
                .entry((*parent, short))
                .and_modify(|o| *o = None)
                .or_insert((!taken).then_some(*code));
        }
    }
    for (parent, code, names) in shorts {
        for short in names {
            if owner.get(&(parent, short)) == Some(&Some(code))
                && !map.contains_key(&(parent, short))
            {
                map.insert((parent, short), code);
                forms.entry(parent).or_default().push(short);
            }
        }
    }
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let rows: Vec<(u32, &'static str)> = DATA
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (code, name) = l.split_once('\t').expect("code<TAB>name");
            (code.parse().expect("a six-digit code"), name)
        })
        .collect();
    let by_code: HashMap<u32, &'static str> = rows.iter().copied().collect();
    let mut provinces = HashMap::new();
    let mut province_codes: Vec<(u32, &'static str)> = vec![];
    for &(code, name) in rows.iter().filter(|r| r.0 % 10000 == 0) {
        province_codes.push((code, name));
        provinces.insert(name, code);
        for short in short_names(name) {
            provinces.insert(Box::leak(short.into_boxed_str()), code);
        }
    }
    // The codes as text, leaked once: `provinces` keys are `&'static str`.
    for &(code, _) in &province_codes {
        provinces.insert(
            Box::leak(format!("{}", code / 10000).into_boxed_str()),
            code,
        );
        provinces.insert(Box::leak(format!("{code:06}").into_boxed_str()), code);
    }
    let is_municipality = |p: u32| by_code.get(&p).is_some_and(|n| n.ends_with('市'));
    // What a county hangs under: its prefecture when the list has one, else its province
    // (a municipality's districts, a county-level city the province governs directly).
    let parent_of = |code: u32| {
        let prefecture = code / 100 * 100;
        if by_code.contains_key(&prefecture) && !prefecture.is_multiple_of(10000) {
            prefecture
        } else {
            code / 10000 * 10000
        }
    };
    let mut city_members = vec![];
    let mut county_members = vec![];
    for &(code, name) in &rows {
        let province = code / 10000 * 10000;
        match (Division { code, name }).level() {
            Level::Province if is_municipality(code) => city_members.push((code, code, name)),
            Level::Province => {}
            Level::Prefecture => city_members.push((province, code, name)),
            Level::County => {
                let parent = parent_of(code);
                if parent == province && !is_municipality(province) {
                    city_members.push((province, code, name));
                } else {
                    county_members.push((parent, code, name));
                }
            }
        }
    }
    let (mut cities, mut counties) = (HashMap::new(), HashMap::new());
    let mut city_forms = HashMap::new();
    insert_names(&mut cities, &mut city_forms, &city_members);
    insert_names(&mut counties, &mut HashMap::new(), &county_members);
    Index {
        by_code,
        provinces,
        cities,
        counties,
        city_forms,
    }
});

/// The division with this six-digit code.
pub fn division(code: u32) -> Option<Division> {
    INDEX
        .by_code
        .get(&code)
        .map(|&name| Division { code, name })
}

/// Every province-level division of the list, in code order (34, with 台湾省, 香港 and 澳门).
pub fn provinces() -> impl Iterator<Item = Division> {
    let mut codes: Vec<u32> = INDEX
        .by_code
        .keys()
        .copied()
        .filter(|c| c % 10000 == 0)
        .collect();
    codes.sort_unstable();
    codes.into_iter().filter_map(division)
}

/// The province a mainland address may name (official or short name, 2- or 6-digit code).
pub fn province(input: &str) -> Result<Division, Unresolved> {
    let input = input.trim();
    let code = INDEX.provinces.get(input).copied();
    if let Some(&(_, iso)) = code.and_then(|c| OWN_ISO_CODE.iter().find(|(p, _)| *p == c)) {
        return Err(Unresolved::Province(format!(
            "`{input}` has its own ISO 3166 country code: use country `{iso}`, not CN"
        )));
    }
    code.and_then(division).ok_or_else(|| {
        Unresolved::Province(format!(
            "`{input}` is not a province of China (GB/T 2260): give its name (湖北省 or 湖北) \
             or code (42 or 420000)"
        ))
    })
}

/// Every form a mainland address's `state` may take, per province in code order: official
/// name, short names, 2-digit and 6-digit code (the published schema's enum).
pub fn province_forms() -> Vec<(Division, Vec<&'static str>)> {
    provinces()
        .filter(|p| !OWN_ISO_CODE.iter().any(|(c, _)| *c == p.code))
        .map(|p| {
            let mut forms: Vec<&'static str> = INDEX
                .provinces
                .iter()
                .filter(|(_, c)| **c == p.code)
                .map(|(k, _)| *k)
                .collect();
            // Official name first, then short names, then codes; stable for the schema.
            forms.sort_by_key(|f| {
                (
                    *f != p.name,
                    f.bytes().all(|b| b.is_ascii_digit()),
                    f.len(),
                    *f,
                )
            });
            (p, forms)
        })
        .collect()
}

/// Every form a mainland address's `city` may take in this province (official names, then
/// unambiguous short names).
pub fn city_forms(province: u32) -> &'static [&'static str] {
    INDEX.city_forms.get(&province).map_or(&[], Vec::as_slice)
}

/// Resolves a mainland address's province, city and district (see the module doc for what
/// each may be). An unknown district is kept as given, never an error.
pub fn resolve(
    province_in: &str,
    city_in: &str,
    district_in: Option<&str>,
) -> Result<Resolved, Unresolved> {
    let p = province(province_in)?;
    let city_in = city_in.trim();
    let city_code = INDEX
        .cities
        .get(&(p.code, city_in))
        .copied()
        .ok_or_else(|| {
            Unresolved::City(format!(
                "`{city_in}` is not a city of {} (GB/T 2260): give its prefecture-level city \
                 (e.g. 襄阳市 or 襄阳){}",
                p.name,
                if p.name.ends_with('市') {
                    format!("; for {} the city is {} itself", p.name, p.name)
                } else {
                    String::new()
                }
            ))
        })?;
    let city = INDEX.by_code[&city_code];
    let district_in = district_in.map(str::trim).filter(|d| !d.is_empty());
    let listed = district_in.and_then(|d| INDEX.counties.get(&(city_code, d)).copied());
    Ok(match (listed, district_in) {
        (Some(code), _) => Resolved {
            province: p.name,
            city,
            district: Some(INDEX.by_code[&code].to_string()),
            district_listed: true,
            code: format!("{code:06}"),
        },
        (None, given) => Resolved {
            province: p.name,
            city,
            district: given.map(str::to_string),
            district_listed: false,
            code: format!("{city_code:06}"),
        },
    })
}

/// Whether text is in Chinese script: it holds a Han character (CJK Unified Ideographs and
/// Extension A). A CN address whose city is not is a romanized one and is not resolved.
pub fn chinese_script(s: &str) -> bool {
    s.chars()
        .any(|c| ('\u{3400}'..='\u{4DBF}').contains(&c) || ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// The pattern the published schema gives the city of a romanized CN address: no Han
/// character (the negation of [`chinese_script`]).
pub const NOT_CHINESE_SCRIPT_PATTERN: &str = "^[^\\u3400-\\u4DBF\\u4E00-\\u9FFF]*$";

/// A mainland phone as the address's key field: a mobile (11 digits, 13–19…, after an optional
/// +86 / 0086 / 86 and with spaces or hyphens anywhere) normalized to its 11 digits; a
/// landline with its area code (0 + 2–3 digit area code + 7–8 digits, `010-12345678`,
/// `0755 88888888`) or a national service number (400/800 + 7 digits, as in SF's own samples)
/// kept as given.
pub fn phone(input: &str) -> Result<String, InvalidValue> {
    let given = input.trim();
    // Digits with spaces or hyphens between them, nothing else.
    let spaced = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_digit())
            && s.ends_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    };
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let mobile = |s: &str| {
        let d = digits(s);
        (spaced(s) && s.starts_with('1') && d.len() == 11 && matches!(d.as_bytes()[1], b'3'..=b'9'))
            .then_some(d)
    };
    let national = ["+86", "0086", "86"]
        .iter()
        .find_map(|p| given.strip_prefix(p))
        .map(|rest| rest.trim_start_matches([' ', '-']));
    if let Some(m) = national.and_then(mobile).or_else(|| mobile(given)) {
        return Ok(m);
    }
    let d = digits(given);
    let landline = given.starts_with('0')
        && given[1..].starts_with(|c: char| matches!(c, '1'..='9'))
        && (10..=12).contains(&d.len());
    let service = (given.starts_with("400") || given.starts_with("800")) && d.len() == 10;
    if spaced(given) && (landline || service) {
        return Ok(given.to_string());
    }
    Err(InvalidValue::new(
        "/phone",
        format!(
            "`{given}` is not a mainland China phone: a mobile in China is 11 digits starting \
             with 13–19 (optionally after +86), a landline is its area code and number \
             (010-12345678, 0755-88888888)"
        ),
    ))
}

/// The pattern the published schema gives a CN address's `phone` (the same rule as
/// [`phone`]).
pub const PHONE_PATTERN: &str = "^ *((\\+|00)?86[ -]*)?1[ -]*[3-9]([ -]*[0-9]){9} *$|^ *0[1-9]([ -]*[0-9]){8,10} *$|^ *[48]00([ -]*[0-9]){7} *$";

/// A Chinese postcode: six digits.
pub const POSTCODE_PATTERN: &str = "^[0-9]{6}$";

#[cfg(test)]
mod tests {
    use super::*;

    fn name(code: u32) -> &'static str {
        division(code).unwrap().name
    }

    #[test]
    fn pins_facts_of_the_2024_list() {
        assert_eq!(DATA.lines().count(), 3213);
        assert_eq!(name(420000), "湖北省");
        assert_eq!(name(420600), "襄阳市");
        assert_eq!(name(420602), "襄城区");
        assert_eq!(name(110105), "朝阳区");
        assert_eq!(name(429004), "仙桃市");
        assert_eq!(name(429021), "神农架林区");
        assert_eq!(name(650000), "新疆维吾尔自治区");
        assert_eq!(division(420602).unwrap().level(), Level::County);
        assert_eq!(division(420600).unwrap().level(), Level::Prefecture);
        assert_eq!(division(420000).unwrap().level(), Level::Province);
        assert!(division(429000).is_none(), "the list has no 省直辖 row");
        let provinces: Vec<Division> = provinces().collect();
        assert_eq!(provinces.len(), 34);
        let names: Vec<&str> = provinces.iter().map(|p| p.name).collect();
        for p in [
            "台湾省",
            "香港特别行政区",
            "澳门特别行政区",
            "北京市",
            "重庆市",
        ] {
            assert!(names.contains(&p), "{p}");
        }
    }

    #[test]
    fn every_province_has_its_usual_short_name() {
        let short: Vec<String> = provinces().map(|p| short_names(p.name).join("/")).collect();
        assert_eq!(
            short.join(" "),
            "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 \
             湖北 湖南 广东 广西 海南 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 台湾 香港 澳门"
        );
    }

    #[test]
    fn a_province_by_name_short_name_or_code() {
        for input in ["湖北省", "湖北", "42", "420000", " 湖北 "] {
            assert_eq!(province(input).unwrap().name, "湖北省", "{input}");
        }
        assert_eq!(province("新疆").unwrap().name, "新疆维吾尔自治区");
        assert_eq!(province("广西").unwrap().name, "广西壮族自治区");
        let Err(Unresolved::Province(m)) = province("湖某省") else {
            panic!()
        };
        assert!(
            m.contains("`湖某省` is not a province of China (GB/T 2260)"),
            "{m}"
        );
        for (input, iso) in [("香港", "HK"), ("澳门特别行政区", "MO"), ("710000", "TW")] {
            let Err(Unresolved::Province(m)) = province(input) else {
                panic!("{input}")
            };
            assert!(m.contains(&format!("country `{iso}`")), "{m}");
        }
        for bad in ["", "4200", "99", "990000", "湖", "Hubei"] {
            assert!(province(bad).is_err(), "{bad}");
        }
        let forms = province_forms();
        assert_eq!(forms.len(), 31, "mainland only");
        let hubei = forms.iter().find(|(p, _)| p.code == 420000).unwrap();
        assert_eq!(hubei.1, ["湖北省", "湖北", "42", "420000"]);
    }

    #[test]
    fn resolves_sf_sample_addresses() {
        // SF's request-01: the receiver, a statutory district.
        let r = resolve("湖北省", "襄阳市", Some("襄城区")).unwrap();
        assert_eq!((r.province, r.city), ("湖北省", "襄阳市"));
        assert_eq!(r.district.as_deref(), Some("襄城区"));
        assert!(r.district_listed);
        assert_eq!(r.code, "420602");
        // The sender: a scenic area, not a county. Kept as given; the code is the city's.
        let r = resolve("湖北省", "十堰市", Some("武当山风景区")).unwrap();
        assert_eq!(r.city, "十堰市");
        assert_eq!(r.district.as_deref(), Some("武当山风景区"));
        assert!(!r.district_listed);
        assert_eq!(r.code, "420300");
        // request-04: an empty county, and 中山市, a prefecture-level city without districts.
        let r = resolve("广东省", "中山市", Some("")).unwrap();
        assert_eq!((r.district, r.code.as_str()), (None, "442000"));
        let r = resolve("广东省", "深圳市", None).unwrap();
        assert_eq!(r.code, "440300");
    }

    #[test]
    fn short_names_and_codes_normalize() {
        let r = resolve("湖北", "襄阳", Some("襄城")).unwrap();
        assert_eq!(
            (r.province, r.city, r.code.as_str()),
            ("湖北省", "襄阳市", "420602")
        );
        assert_eq!(r.district.as_deref(), Some("襄城区"));
        let r = resolve("42", "恩施州", None).unwrap();
        assert_eq!(r.city, "恩施土家族苗族自治州");
        assert_eq!(resolve("湖北", "恩施", None).unwrap().code, "422800");
        let r = resolve("新疆", "伊犁", None).unwrap();
        assert_eq!(r.city, "伊犁哈萨克自治州");
        assert_eq!(resolve("内蒙古", "阿拉善", None).unwrap().city, "阿拉善盟");
        assert_eq!(resolve("云南", "西双版纳", None).unwrap().code, "532800");
        let r = resolve("湖北省", "宜昌市", Some("长阳县")).unwrap();
        assert_eq!(r.district.as_deref(), Some("长阳土家族自治县"));
    }

    #[test]
    fn municipalities_are_their_own_city() {
        let r = resolve("北京", "北京市", Some("朝阳区")).unwrap();
        assert_eq!(
            (r.province, r.city, r.code.as_str()),
            ("北京市", "北京市", "110105")
        );
        let r = resolve("110000", "北京", Some("朝阳")).unwrap();
        assert_eq!(r.code, "110105");
        assert_eq!(
            resolve("重庆", "重庆", Some("城口县")).unwrap().code,
            "500229"
        );
        assert_eq!(
            resolve("上海市", "上海市", Some("浦东新区")).unwrap().code,
            "310115"
        );
        let Err(Unresolved::City(m)) = resolve("北京", "朝阳区", None) else {
            panic!()
        };
        assert!(m.contains("the city is 北京市 itself"), "{m}");
        // 朝阳 is also a prefecture of Liaoning, and its 朝阳县 is no district of Beijing.
        assert_eq!(resolve("辽宁", "朝阳", None).unwrap().code, "211300");
    }

    #[test]
    fn county_level_cities_governed_by_their_province() {
        for (city, code) in [
            ("仙桃市", "429004"),
            ("潜江", "429005"),
            ("天门市", "429006"),
            ("神农架林区", "429021"),
            ("神农架", "429021"),
        ] {
            let r = resolve("湖北省", city, Some("某镇")).unwrap();
            assert_eq!(r.code, code, "{city}");
            assert_eq!(r.district.as_deref(), Some("某镇"));
        }
        assert_eq!(resolve("海南", "琼海市", None).unwrap().code, "469002");
        assert_eq!(
            resolve("海南", "三亚", Some("吉阳区")).unwrap().code,
            "460203"
        );
        assert_eq!(resolve("河南", "济源", None).unwrap().code, "419001");
        assert_eq!(resolve("新疆", "石河子市", None).unwrap().code, "659001");
    }

    #[test]
    fn a_city_outside_its_province_is_refused() {
        let Err(Unresolved::City(m)) = resolve("湖北省", "长沙市", None) else {
            panic!()
        };
        assert!(m.contains("`长沙市` is not a city of 湖北省"), "{m}");
        assert!(resolve("湖南省", "长沙", None).is_ok());
        assert!(
            resolve("湖北省", "襄", None).is_err(),
            "one character is no short name"
        );
        assert!(
            resolve("湖北省", "襄城区", None).is_err(),
            "a district is no city"
        );
        let e = resolve("湖北省", "x", None).unwrap_err().into_invalid();
        assert_eq!(e.field, "/city");
        let e = resolve("湖某省", "x", None).unwrap_err().into_invalid();
        assert_eq!(e.field, "/state");
    }

    #[test]
    fn city_forms_match_what_resolves() {
        let mut total = 0;
        for (p, _) in province_forms() {
            let forms = city_forms(p.code);
            assert!(!forms.is_empty(), "{}", p.name);
            for f in forms {
                assert!(resolve(p.name, f, None).is_ok(), "{} {f}", p.name);
            }
            total += forms.len();
        }
        assert!(city_forms(420000).contains(&"襄阳"));
        assert!(city_forms(420000).contains(&"仙桃市"));
        assert_eq!(city_forms(110000), ["北京市", "北京"]);
        assert!(total > 600, "{total}");
    }

    #[test]
    fn mainland_phones() {
        for (input, out) in [
            ("18963828829", "18963828829"),
            ("+86 189 6382 8829", "18963828829"),
            ("0086-18963828829", "18963828829"),
            ("86 18963828829", "18963828829"),
            (" 189-6382-8829 ", "18963828829"),
            ("010-12345678", "010-12345678"),
            ("0755 88888888", "0755 88888888"),
            ("07108888888", "07108888888"),
            ("4001118851", "4001118851"),
        ] {
            assert_eq!(phone(input).unwrap(), out, "{input}");
        }
        for bad in [
            "1896382882",   // 10 digits
            "189638288290", // 12 digits
            "12963828829",  // no mobile begins 12
            "+1 415 555 0100",
            "010-123456",
            "abc18963828829",
            "+010-12345678",
            "1896382882+9",
            "",
        ] {
            let e = phone(bad).unwrap_err();
            assert_eq!(e.field, "/phone");
            assert!(
                e.message.contains("a mobile in China is 11 digits"),
                "{bad}"
            );
        }
    }
}
