package clamd_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mugai-project/mugai/scan/clamd"
)

// Scanning a file and checking clamd's health. Not run: it needs a clamd.
func Example() {
	c, err := clamd.New(clamd.Config{Address: "unix:/run/clamav/clamd.ctl", Timeout: 30 * time.Second})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Health: PING, and the signature version for reports and metrics.
	if err := c.Ping(ctx); err != nil {
		fmt.Println("clamd down:", err)
		return
	}
	v, _ := c.Version(ctx)
	fmt.Println(v.Engine, v.Signatures, v.SignatureDate.Format(time.DateOnly))

	f, err := os.Open("attachment.zip")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	res, err := c.ScanStream(ctx, f, st.Size())
	switch {
	case err != nil:
		fmt.Println("not scanned; try again later:", err) // never treat as clean
	case res.Status == clamd.Found:
		fmt.Println("malware:", res.Signature)
	case res.Status == clamd.Incomplete:
		fmt.Println("not fully scanned:", res.Reason) // never treat as clean
	default:
		fmt.Println("clean")
	}
}
