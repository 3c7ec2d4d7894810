//! The Chinese e-waybill layout (电子面单) for the 100×150 mm (SF Express) and 76×130 mm
//! (one-part 一联单) stocks: carrier and product across the top, the waybill number large
//! under its Code 128, the receiver (收) with a masked mobile and the whole address
//! (province, city, district, street), the sender (寄), contents (托寄物) and remark (备注),
//! and a signature box (签收). Drawn at the stock's own size: sections are placed in a
//! 100 × 150 mm design and scaled to the page, type by the width (never under 6 pt).

use super::LabelError;
use super::code128::Code128;
use super::layout::{Element, fit};
use super::text::{needs_cjk, width_mm};
use crate::LabelSpec;
use shiphub_carriers::model::Address;

/// The layout of one e-waybill of `width` × `height` mm.
pub(crate) fn layout(
    spec: &LabelSpec,
    width: f32,
    height: f32,
) -> Result<Vec<Element>, LabelError> {
    if spec.piece_number == 0 || spec.piece_number > spec.piece_count {
        return Err(LabelError::InvalidSpec {
            field: "piece_number",
            message: format!(
                "piece {} of {} (pieces count from 1)",
                spec.piece_number, spec.piece_count
            ),
        });
    }
    let symbol = Code128::new(spec.tracking_number.as_str())?;
    let sy = height / 150.0;
    let k = (width / 100.0).min(1.0);
    let y = |mm: f32| mm * sy;
    let pt = |size: f32| (size * k).max(6.0);
    let left = 3.0 * k;
    let inner = width - 2.0 * left;
    let mut out = vec![Element::Frame {
        x: 1.0,
        y: 1.0,
        width: width - 2.0,
        height: height - 2.0,
        thickness: 0.4,
    }];
    let text = |out: &mut Vec<Element>, x: f32, baseline: f32, size: f32, bold, s: &str, w| {
        if let Some(t) = fit(x, baseline, pt(size), bold, s, w) {
            out.push(Element::Text(t));
        }
    };
    let rule = |out: &mut Vec<Element>, at: f32| {
        out.push(Element::Bar {
            x: 1.0,
            y: y(at),
            width: width - 2.0,
            height: 0.3,
        })
    };

    // Carrier and product across the top.
    text(
        &mut out,
        left,
        y(10.0),
        16.0,
        true,
        &spec.carrier,
        inner * 0.55,
    );
    let product = &spec.service_name;
    let product_size = pt(13.0);
    let product_x = (width - left - width_mm(product, true, product_size)).max(width * 0.55);
    text(
        &mut out,
        product_x,
        y(10.0),
        13.0,
        true,
        product,
        width - left - product_x,
    );
    rule(&mut out, 14.0);

    // The waybill number, large, under its bars; pieces of a multi-piece shipment show
    // their own number (子单号), the master (母单号) and "n/N".
    out.push(Element::Barcode {
        x: 1.5,
        y: y(16.0),
        width: width - 3.0,
        height: y(15.0),
        symbol,
    });
    let number = spec.tracking_number.as_str();
    if let Some(mut t) = fit(0.0, y(37.0), pt(15.0), true, number, inner) {
        t.x = (width - width_mm(&t.text, true, t.size_pt)) / 2.0;
        out.push(Element::Text(t));
    }
    if spec.piece_count > 1 {
        let master = spec
            .master_tracking_number
            .as_ref()
            .map_or("", |m| m.as_str());
        let line = format!(
            "母单号 {master} 子单号 {number} {}/{}",
            spec.piece_number, spec.piece_count
        );
        text(&mut out, left, y(42.5), 8.0, true, &line, inner);
    }
    rule(&mut out, 45.0);

    // 收: the receiver, large enough for the sorting line.
    let mark_x = left;
    let body_x = left + 9.0 * k;
    let body_w = width - left - body_x;
    text(&mut out, mark_x, y(54.0), 18.0, true, "收", 8.0 * k);
    let to = &spec.to;
    text(
        &mut out,
        body_x,
        y(51.5),
        12.0,
        true,
        &format!("{} {}", to.name, masked_phone(to.phone.as_deref())),
        body_w,
    );
    let mut baseline = y(51.5);
    for line in wrap(&full_address(to), pt(10.0), true, body_w, 3) {
        baseline += y(5.5);
        text(&mut out, body_x, baseline, 10.0, true, &line, body_w);
    }
    rule(&mut out, 73.0);

    // 寄: the sender, smaller.
    text(&mut out, mark_x, y(81.0), 14.0, true, "寄", 8.0 * k);
    let from = &spec.from;
    text(
        &mut out,
        body_x,
        y(78.0),
        9.0,
        false,
        &format!("{} {}", from.name, masked_phone(from.phone.as_deref())),
        body_w,
    );
    let mut baseline = y(78.0);
    for line in wrap(&full_address(from), pt(8.0), false, body_w, 2) {
        baseline += y(4.0);
        text(&mut out, body_x, baseline, 8.0, false, &line, body_w);
    }
    rule(&mut out, 90.0);

    // 托寄物, 备注, weight and pieces, the order number.
    let contents = spec.contents.as_deref().unwrap_or("");
    text(
        &mut out,
        left,
        y(95.5),
        9.0,
        false,
        &format!("托寄物：{contents}"),
        inner,
    );
    let remark = spec.remark.as_deref().unwrap_or("");
    text(
        &mut out,
        left,
        y(100.5),
        9.0,
        false,
        &format!("备注：{remark}"),
        inner,
    );
    let weight = super::layout::weight_text(spec.weight);
    text(
        &mut out,
        left,
        y(105.5),
        9.0,
        false,
        &format!(
            "重量：{weight}   件数：{}/{}   寄件日期：{}",
            spec.piece_number, spec.piece_count, spec.ship_date
        ),
        inner,
    );
    if let Some(reference) = &spec.reference {
        text(
            &mut out,
            left,
            y(110.5),
            9.0,
            false,
            &format!("订单号：{reference}"),
            inner,
        );
    }
    rule(&mut out, 113.0);

    // 签收: the receiver signs here.
    out.push(Element::Frame {
        x: left,
        y: y(115.0),
        width: inner,
        height: y(31.0),
        thickness: 0.3,
    });
    text(
        &mut out,
        left + 2.0,
        y(121.0),
        9.0,
        true,
        "签收人：",
        inner / 2.0,
    );
    text(
        &mut out,
        left + 2.0,
        y(140.0),
        9.0,
        false,
        "签收时间：     年   月   日",
        inner - 4.0,
    );
    text(
        &mut out,
        left + 2.0,
        y(128.0),
        6.5,
        false,
        "您的签字代表您已验收此包裹，并已确认商品信息无误、包装完好。",
        inner - 4.0,
    );
    Ok(out)
}

/// 138****8000, as Chinese e-waybills print a mobile: the first three and last four digits
/// (a leading +86 or 86 country code dropped). Numbers too short to mask print as given.
pub(crate) fn masked_phone(phone: Option<&str>) -> String {
    let Some(phone) = phone else {
        return String::new();
    };
    let mut digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 13 && digits.starts_with("86") {
        digits.drain(..2);
    }
    if digits.len() < 8 {
        return phone.trim().to_string();
    }
    format!("{}****{}", &digits[..3], &digits[digits.len() - 4..])
}

/// Province + city + district + street, run together as Chinese addresses are written;
/// a Latin address reads street, district, city, state postal code.
pub(crate) fn full_address(a: &Address) -> String {
    let street = a.street.join(" ");
    let parts = [
        a.state.as_deref().unwrap_or_default(),
        a.city.as_str(),
        a.district.as_deref().unwrap_or_default(),
    ];
    if parts.iter().any(|p| needs_cjk(p)) || needs_cjk(&street) {
        let mut s: String = parts.concat();
        s.push_str(&street);
        s
    } else {
        let mut out: Vec<&str> = vec![street.as_str()];
        out.extend(parts[..3].iter().rev().filter(|p| !p.is_empty()));
        out.extend(a.postal_code.as_deref());
        out.retain(|p| !p.is_empty());
        out.join(", ")
    }
}

/// `text` broken into at most `max_lines` lines of `width` mm: at spaces in Latin text,
/// between any two characters in Chinese (which has no spaces). The last line carries
/// what is left; [`fit`] shrinks or cuts it.
fn wrap(text: &str, size_pt: f32, bold: bool, width: f32, max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: &str = text.trim();
    while !rest.is_empty() && lines.len() + 1 < max_lines {
        if width_mm(rest, bold, size_pt) <= width {
            break;
        }
        let mut end = 0;
        let mut last_space = None;
        for (i, c) in rest.char_indices() {
            let next = i + c.len_utf8();
            if width_mm(&rest[..next], bold, size_pt) > width {
                break;
            }
            if c == ' ' {
                last_space = Some(i);
            }
            end = next;
        }
        if end == 0 {
            break;
        }
        let cut = match last_space {
            Some(s) if s > 0 && !needs_cjk(&rest[..end]) => s,
            _ => end,
        };
        lines.push(rest[..cut].trim().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        lines.push(rest.to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::text::width_mm;

    fn texts(e: &[Element]) -> Vec<&super::super::layout::Text> {
        e.iter()
            .filter_map(|e| match e {
                Element::Text(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn mobiles_are_masked_as_chinese_waybills_print_them() {
        assert_eq!(masked_phone(Some("13800138000")), "138****8000");
        assert_eq!(masked_phone(Some("+86 138 0013 8000")), "138****8000");
        assert_eq!(masked_phone(Some("110")), "110");
        assert_eq!(masked_phone(None), "");
    }

    #[test]
    fn the_receiver_block_has_the_whole_address_and_every_line_fits() {
        let mut spec = LabelSpec::example_cn();
        spec.to.street = vec!["人民路15号幸福小区3栋2单元501室，进门右转第二个快递柜旁边".into()];
        for (w, h) in [(100.0, 150.0), (76.0, 130.0)] {
            let e = layout(&spec, w, h).unwrap();
            let texts = texts(&e);
            let all: String = texts.iter().map(|t| t.text.as_str()).collect();
            assert!(all.contains("湖北省襄阳市樊城区人民路15号"), "{all}");
            assert!(all.contains("张三 138****8000"), "{all}");
            assert!(all.contains("托寄物：服装") && all.contains("备注：易碎，轻放"));
            for t in texts {
                let right = t.x + width_mm(&t.text, t.bold, t.size_pt);
                assert!(t.x >= 1.0 && right <= w - 1.0, "{:?} at {w} mm", t.text);
                assert!(t.baseline < h - 1.0 && t.size_pt >= 6.0);
            }
        }
    }

    #[test]
    fn multi_piece_labels_show_master_piece_number_and_count() {
        let mut spec = LabelSpec::example_cn();
        spec.piece_count = 2;
        spec.master_tracking_number = Some("SF1234567890123".parse().unwrap());
        spec.tracking_number = "SF1234567890124".parse().unwrap();
        let e = layout(&spec, 100.0, 150.0).unwrap();
        assert!(
            texts(&e)
                .iter()
                .any(|t| t.text == "母单号 SF1234567890123 子单号 SF1234567890124 1/2")
        );
    }
}
