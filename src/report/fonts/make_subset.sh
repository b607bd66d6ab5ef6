#!/bin/sh
# Remakes NotoSansSC-subset.otf, the one font the PNG charts are drawn with (it is compiled
# into the binary, so charts render on a machine with no fonts at all). Needs Debian's
# fonts-noto-cjk and Python's fonttools:
#   apt-get install fonts-noto-cjk && pip install fonttools && sh src/report/fonts/make_subset.sh
# Coverage: ASCII, Latin-1, general punctuation, arrows, ≤ ≥ − ×, €, CJK punctuation,
# full-width forms and the 3,755 level-1 GB2312 hanzi (the common ones). Text outside it is
# reported by the run as a label that cannot be drawn.
set -e
here=$(dirname "$0")
python3 -c "
chars = set()
for hi in range(0xB0, 0xD8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode('gb2312'))
        except UnicodeDecodeError:
            pass
open('/tmp/custscore-hanzi.txt', 'w').write(''.join(sorted(chars)))
"
pyftsubset /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc --font-number=2 \
  --text-file=/tmp/custscore-hanzi.txt \
  --unicodes="U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-2044,U+20AC,U+2190-2193,U+2212,U+2264,U+2265,U+00D7,U+3000-303F,U+FF01-FF5E" \
  --layout-features='' --no-hinting --output-file="$here/NotoSansSC-subset.otf"
