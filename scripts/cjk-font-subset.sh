#!/usr/bin/env bash
# Writes fonts/ShiphubSansSC.otf: the Simplified Chinese face of Noto Sans CJK (Debian's
# fonts-noto-cjk), cut to the characters Chinese shipping documents use, renamed because a
# modified OFL font may not keep the original's names (see fonts/SOURCE.md).
#
#   apt-get install -y fonts-noto-cjk && pip install fonttools
#   scripts/cjk-font-subset.sh [extra-characters-file ...]
#
# Extra files (UTF-8 text, e.g. the GB/T 2260 division list) add every character they hold.
# The output is committed; the hub never reads a system font at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${NOTO_CJK_TTC:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}
out=fonts/ShiphubSansSC.otf
[ -f "$src" ] || { echo "no $src: apt-get install -y fonts-noto-cjk" >&2; exit 1; }
python3 - "$src" "$out" "$@" <<'PY'
import sys
from fontTools.ttLib import TTFont
from fontTools import subset

src, out, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
import os
GBK = os.environ.get("CJK_CHARSET", "gbk") == "gbk"  # CJK_CHARSET=gb2312: 6,763 hanzi only
chars = set()
ranges = [
    (0x20, 0x7E),      # ASCII
    (0xA0, 0x17F),     # Latin-1 supplement, Latin Extended-A
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x215F),  # letterlike symbols, number forms (℃, №, Ⅰ…)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
for lo, hi in ranges:
    chars.update(range(lo, hi + 1))
# GBK: GB 2312's 6,763 hanzi plus the rest of CJK Unified Ideographs (21,003 hanzi in
# all), so rare characters of place and personal names are drawn too.
for cp in range(0x80, 0x10000):
    if cp >= 0x2E80 and not GBK: enc = "gb2312"
    else: enc = "gbk"
    try:
        chr(cp).encode(enc)
    except UnicodeEncodeError:
        continue
    chars.add(cp)
for path in extra:
    with open(path, encoding="utf-8") as f:
        chars.update(ord(c) for c in f.read() if ord(c) >= 0x20)

font = TTFont(src, fontNumber=2)  # 2 = Noto Sans CJK SC in the collection
options = subset.Options()
# Labels set text left to right with no shaping: no GSUB/GPOS alternates (vertical forms,
# proportional variants) are kept, which halves the glyph count.
options.layout_features = []
options.drop_tables += ["GSUB", "GPOS", "VORG", "vhea", "vmtx"]
options.name_IDs = ["*"]
options.name_languages = ["*"]
options.notdef_outline = True
options.hinting = False  # CFF hints buy nothing on a 203 dpi thermal head
options.desubroutinize = False
sub = subset.Subsetter(options)
sub.populate(unicodes=sorted(chars))
sub.subset(font)

# OFL 1.1 condition 3 (Reserved Font Names) and the Noto trademark: the cut font gets a
# name of its own.
name = font["name"]
family, ps = "Shiphub Sans SC", "ShiphubSansSC-Regular"
for rec in list(name.names):
    if rec.nameID in (1, 16):
        rec.string = family
    elif rec.nameID == 3:
        rec.string = f"{ps};subset of Noto Sans CJK SC 2.004"
    elif rec.nameID == 4:
        rec.string = family
    elif rec.nameID == 6:
        rec.string = ps
    elif rec.nameID in (17,):
        rec.string = "Regular"
    elif rec.nameID == 7:
        name.removeNames(nameID=7)
name.setName(family, 1, 3, 1, 0x409)
if "CFF " in font:
    cff = font["CFF "].cff
    cff.fontNames = [ps]
    top = cff.topDictIndex[0]
    top.FullName = family
    top.FamilyName = family
    if hasattr(top, "Notice"):
        top.Notice = ""
font.save(out)
cmap = font.getBestCmap()
print(f"{out}: {len(cmap)} characters")
PY
ls -l "$out"
