package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/policy"
)

// buildLine returns the command after the "# build-command" marker in file,
// without a leading RUN.
func buildLine(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# build-command") && i+1 < len(lines) {
			return strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "RUN ")
		}
	}
	t.Fatalf("%s: no '# build-command' marker", file)
	return ""
}

// TestDockerfileMatchesBuildStatic: CI runs .ci/build-static, so the
// Dockerfile's build stage must run the very same command.
func TestDockerfileMatchesBuildStatic(t *testing.T) {
	docker := buildLine(t, "../../Dockerfile")
	script := buildLine(t, "../../.ci/build-static")
	if docker != script {
		t.Errorf("the build commands differ:\nDockerfile:        %s\n.ci/build-static:  %s", docker, script)
	}
	if !strings.HasPrefix(docker, "CGO_ENABLED=0 go build") {
		t.Errorf("the build is not static: %s", docker)
	}
	run, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(run), ".ci/build-static") {
		t.Error(".ci/run does not run .ci/build-static")
	}
}

// TestDeployPolicies: the policies shipped for the container and the
// systemd unit load, and write only under /var/lib/mugai (the volume, the
// unit's ReadWritePaths).
func TestDeployPolicies(t *testing.T) {
	for _, f := range []string{"../../deploy/docker/mugai.toml", "../../deploy/systemd/mugai.toml"} {
		cfg, err := policy.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for key, p := range map[string]string{
			"temp_dir": cfg.TempDir, "smtp.outbox": cfg.SMTP.Outbox, "smtp.hold_file": cfg.SMTP.HoldFile,
			"quarantine.dir": cfg.Quarantine.Dir,
		} {
			if !strings.HasPrefix(p, "/var/lib/mugai/") {
				t.Errorf("%s: %s = %q is outside /var/lib/mugai", f, key, p)
			}
		}
	}
}

// TestSystemdUnit: the unit has the hardening the operators rely on, gives
// the drain its time, and passes `systemd-analyze verify` (where installed)
// without a single warning.
func TestSystemdUnit(t *testing.T) {
	const unit = "../../deploy/systemd/mugai.service"
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/mugai",
		"StateDirectory=mugai", "User=mugai", "ExecReload=/bin/kill -HUP $MAINPID", "KillSignal=SIGTERM",
		"CapabilityBoundingSet=\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, "TimeoutStopSec="); ok {
			d, err := time.ParseDuration(v + "s")
			if err != nil || d <= time.Duration(policy.Default().SMTP.DrainTimeout) {
				t.Errorf("TimeoutStopSec=%s must exceed smtp.drain_timeout (%s)", v, time.Duration(policy.Default().SMTP.DrainTimeout))
			}
		}
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	// verify checks that ExecStart's program exists: point it at one that does.
	dir := t.TempDir()
	tmp := filepath.Join(dir, "mugai.service")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(text, "/usr/local/bin/mugai", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", tmp).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
