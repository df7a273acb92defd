package csv_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/sanitize"
)

func Example() {
	in := []byte("name,amount,note\n山田,-1250,\"=HYPERLINK(\"\"http://x\"\")\"\n鈴木,＝SUM(B1:B2),ok\n")
	it := &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(in), 0, int64(len(in))), Name: "a.csv"}
	res, err := csv.New(csv.Options{}).Sanitize(context.Background(), os.Stdout, it)
	if err != nil {
		panic(err)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Rule, f.Action, f.Where)
	}
	// Output:
	// name,amount,note
	// 山田,-1250,"'=HYPERLINK(""http://x"")"
	// 鈴木,'＝SUM(B1:B2),ok
	// csv.formula cleaned row 2 col 3, row 3 col 2
}
