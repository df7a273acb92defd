package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// cmdHealth asks a running serve for /healthz or /readyz, for a container
// HEALTHCHECK (the image has no curl) or a monitor: exit 0 when it answers
// 200, 1 when it answers otherwise or not at all.
func (a *app) cmdHealth(ctx context.Context, args []string) int {
	fs := a.flags("health", "usage.health")
	configPath := fs.String("config", "", a.t("flag.config"))
	ready := fs.Bool("ready", false, "/readyz")
	url := fs.String("url", "", "http://127.0.0.1:9225")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return flagExit(err)
	} else if len(pos) > 0 {
		fs.Usage()
		return exitUsage
	}
	base := *url
	if base == "" {
		cfg, _, code := a.loadConfig(*configPath)
		if code != exitOK {
			return code
		}
		if cfg.Metrics.Listen == "" {
			a.errorf("%s", a.t("health.off"))
			return exitUsage
		}
		base = "http://" + dialable(cfg.Metrics.Listen)
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		a.errorf("%s", a.t("health.fail", err))
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.errorf("%s", a.t("health.fail", err))
		return exitBlocked
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		a.errorf("%s", a.t("health.fail", fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))))
		return exitBlocked
	}
	fmt.Fprintln(a.stdout, a.t("health.ok"))
	return exitOK
}

// dialable turns a listen address into one to connect to: an unspecified
// host (":9225", "0.0.0.0:9225", "[::]:9225") becomes loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
