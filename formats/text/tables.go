package text

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// The decoders in this package are table driven. The tables are filled once,
// on first use, from golang.org/x/text's decoders, so that the mapping data
// (the WHATWG indexes, which follow Windows: NEC row 13, NEC-selected IBM
// extensions, IBM extensions, and ～ for 0x8160) come from one maintained
// source, while the framing, the error accounting and the CP932/CP5022x
// extensions that x/text lacks are ours.
//
// A zero entry means "no character": the sequence is invalid.

const (
	sjisLeads  = 60  // 0x81–0x9F, 0xE0–0xFC
	sjisTrails = 188 // 0x40–0x7E, 0x80–0xFC
	jisCells   = 94 * 94

	puaBase = 0xE000 // CP932 user-defined characters (外字), rows 95–114
)

type jpTables struct {
	sjis    [sjisLeads * sjisTrails]uint16 // CP932 double-byte characters
	jis0208 [jisCells]uint16               // JIS X 0208 with the Microsoft extensions, rows 1–94
	jis0212 [jisCells]uint16               // JIS X 0212 (EUC-JP SS3, ISO-2022-JP-1)
	cp1252  [32]uint16                     // windows-1252 bytes 0x80–0x9F
	level1  [(0xA000 - 0x4E00) / 64]uint64 // kanji of JIS X 0208 level 1 (rows 16–47), for scoring
	common  [(0xA000 - 0x4E00) / 64]uint64 // commonKanji, for scoring
}

// commonKanji are frequent kanji of Japanese prose and of municipal
// documents. Charset scoring rewards them: a wrong reading of the bytes
// yields kanji at random, most of them rare.
const commonKanji = "日一国人年大十二本中長出三時行見月分後前生五間上東四今金九入学高円子外八六下来気小七山話女北午百書先名川千水半男西電校語土木聞食車何南万毎白天母火右読友左休父雨" +
	"会同事自社発者地業方新場員立開手力問代明動京目通言理体田主題意不作用度強公持野以思家世多正安院心界教文元重近考画海売知道集別物使品計死特私始朝運終台広住真有口少町料工建空急止送切転研足究楽起着店病質待試族銀早映親験英医仕去味写字答夜音注帰古歌買悪図週室歩風紙黒花春赤青館屋色走秋夏習駅洋旅服夕借曜飲肉貸堂鳥飯勉冬昼茶弟牛魚兄犬妹姉漢" +
	"市区村県都府役所課係部局届申請類民税保険福祉育環境防災路園議予算決条例規則付受付窓口務総政対応関係連絡確認変更提出記載必要期限内容結果報告調査査定基準施設利用料減免支援相談案内説明資料番号登録証明写真氏住所生年月日性別続柄世帯主電話表示" +
	"合法制度部分場合点現実際経済情報特別取組進状況地域社会全体的活動計画目標成果向上推進実施検討協議整備管理運営事業予定開催参加募集対象方法期間費用負担額令和平成昭和株式有限第号件様殿御願致承知"

// isCommon reports whether r is one of commonKanji.
func (t *jpTables) isCommon(r rune) bool {
	if r < 0x4E00 || r >= 0xA000 {
		return false
	}
	return t.common[(r-0x4E00)/64]&(1<<((r-0x4E00)%64)) != 0
}

var (
	tablesOnce sync.Once
	tabs       *jpTables
)

func tables() *jpTables {
	tablesOnce.Do(func() { tabs = buildTables() })
	return tabs
}

// sjisLeadIndex maps a CP932 lead byte to its row in jpTables.sjis, or -1.
func sjisLeadIndex(b byte) int {
	switch {
	case 0x81 <= b && b <= 0x9F:
		return int(b - 0x81)
	case 0xE0 <= b && b <= 0xFC:
		return int(b-0xE0) + 31
	}
	return -1
}

// sjisTrailIndex maps a CP932 trail byte to its column, or -1.
func sjisTrailIndex(b byte) int {
	switch {
	case 0x40 <= b && b <= 0x7E:
		return int(b - 0x40)
	case 0x80 <= b && b <= 0xFC:
		return int(b-0x80) + 63
	}
	return -1
}

func buildTables() *jpTables {
	t := new(jpTables)
	var dst [8]byte
	one := func(tr transform.Transformer, src []byte) uint16 {
		tr.Reset()
		n, m, err := tr.Transform(dst[:], src, true)
		if err != nil || m != len(src) {
			return 0
		}
		r, size := utf8.DecodeRune(dst[:n])
		if size != n || r == utf8.RuneError || r > 0xFFFF {
			return 0
		}
		return uint16(r)
	}

	sj := japanese.ShiftJIS.NewDecoder()
	for lead := 0x81; lead <= 0xFC; lead++ {
		li := sjisLeadIndex(byte(lead))
		if li < 0 {
			continue
		}
		for trail := 0x40; trail <= 0xFC; trail++ {
			ti := sjisTrailIndex(byte(trail))
			if ti < 0 {
				continue
			}
			r := one(sj, []byte{byte(lead), byte(trail)})
			if r == 0 && 0xF0 <= lead && lead <= 0xF9 {
				// User-defined area: Windows maps it to U+E000–U+E757.
				r = uint16(puaBase + (lead-0xF0)*sjisTrails + ti)
			}
			t.sjis[li*sjisTrails+ti] = r
		}
	}

	euc := japanese.EUCJP.NewDecoder()
	for row := range 94 {
		for cell := range 94 {
			c0, c1 := byte(0xA1+row), byte(0xA1+cell)
			t.jis0208[row*94+cell] = one(euc, []byte{c0, c1})
			t.jis0212[row*94+cell] = one(euc, []byte{0x8F, c0, c1})
			if 16 <= row+1 && row+1 <= 47 {
				if r := rune(t.jis0208[row*94+cell]); 0x4E00 <= r && r < 0xA000 {
					t.level1[(r-0x4E00)/64] |= 1 << ((r - 0x4E00) % 64)
				}
			}
		}
	}

	for _, r := range commonKanji {
		if 0x4E00 <= r && r < 0xA000 {
			t.common[(r-0x4E00)/64] |= 1 << ((r - 0x4E00) % 64)
		}
	}

	for i := range t.cp1252 {
		if r := charmap.Windows1252.DecodeByte(byte(0x80 + i)); r != utf8.RuneError {
			t.cp1252[i] = uint16(r)
		}
	}
	return t
}

// isLevel1 reports whether r is a kanji of JIS X 0208 level 1, the common
// ones; used only to score charset guesses.
func (t *jpTables) isLevel1(r rune) bool {
	if r < 0x4E00 || r >= 0xA000 {
		return false
	}
	return t.level1[(r-0x4E00)/64]&(1<<((r-0x4E00)%64)) != 0
}
