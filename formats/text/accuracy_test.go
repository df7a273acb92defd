package text

import (
	"golang.org/x/text/encoding/charmap"
	"math/rand/v2"
	"strings"
	"testing"
)

// Random Japanese text of various lengths, encoded in each charset, is
// detected as that charset.
func TestDetectAccuracy(t *testing.T) {
	pool := []rune("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽゃゅょっ" +
		"アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダデドバビブベボパピプペポャュョッー" +
		"日本市役所窓口午前時開問合総務課申請書類住民税保険年金福祉教育子育環境防災道路水道公園図書館会議予算決算条例規則" +
		"、。「」・（）：　１２３４５６７８９０" +
		"abcdefghijklmnopqrstuvwxyz0123456789 ,.-\n")
	r := rand.New(rand.NewPCG(5, 6))
	fails := map[Charset]int{}
	const n = 300
	for range n {
		var b strings.Builder
		for range 4 + r.IntN(60) {
			b.WriteRune(pool[r.IntN(len(pool))])
		}
		s := b.String()
		for _, tc := range []struct {
			cs  Charset
			enc []byte
		}{
			{UTF8, []byte(s)},
			{ShiftJIS, sjis(t, s)},
			{EUCJP, eucjp(t, s)},
			{ISO2022JP, jis(t, s)},
		} {
			if got := DetectCharset(tc.enc); got != tc.cs {
				fails[tc.cs]++
				t.Logf("%v detected as %v: %q", tc.cs, got, s)
			}
		}
	}
	for cs, f := range fails {
		if f > 0 {
			t.Errorf("%v: %d of %d misdetected", cs, f, n)
		}
	}
}

// Harder pools: half-width katakana records in Shift_JIS (bank transfer
// files), NEC/IBM specials in Shift_JIS, and Latin-1 prose.
func TestDetectAccuracyHard(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pick := func(words []string, k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		return b.String()
	}
	kana := strings.Fields("ﾔﾏﾀﾞ ﾀﾛｳ ｶﾌﾞｼｷｶﾞｲｼｬ ﾃｽﾄ ﾄｳｷﾖｳﾄ ﾁﾖﾀﾞｸ ｽｽﾞｷ ﾊﾅｺ ｼﾔｸｼﾖ ｷﾞﾝｺｳ ﾌﾂｳ 0001234 ｿｳﾑｶ")
	special := strings.Fields("①②③ ㈱ ㈲ Ⅰ Ⅱ Ⅲ № ℡ ㍻ 髙橋 﨑 纊 ⅰⅱ 株式会社 ※ 第③号")
	latin := strings.Fields("café crème brûlée naïve Müller Größe straße élève déjà où façade garçon señor año niño über schön Zürich résumé")
	const n = 200
	fails := 0
	for range n {
		for _, tc := range []struct {
			cs  Charset
			enc []byte
		}{
			{ShiftJIS, sjis(t, pick(kana, 1+r.IntN(8))+"\r\n")},
			{ShiftJIS, sjis(t, pick(special, 1+r.IntN(4)))},
			{Windows1252, enc(t, charmapLatin1, pick(latin, 2+r.IntN(8)))},
		} {
			if isASCII(tc.enc) {
				continue
			}
			if got := DetectCharset(tc.enc); got != tc.cs {
				fails++
				t.Logf("%v detected as %v: %q", tc.cs, got, tc.enc)
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d misdetected", fails, 3*n)
	}
}

var charmapLatin1 = charmap.Windows1252
