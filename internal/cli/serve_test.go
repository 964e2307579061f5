package cli

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe runs `concord serve` as its own process and returns it with
// the address it printed and the one-time password, if it printed one.
func startServe(t *testing.T, db string) (*exec.Cmd, string, string, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--db", db, "--addr", "127.0.0.1:0", "--home", "PL")
	cmd.Env = append(os.Environ(), "CONCORD_TEST_AS_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	serving := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)$`)
	password := regexp.MustCompile(`user: admin\s+password: (\S+)`)
	var addr, pw string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if m := serving.FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
		if m := password.FindStringSubmatch(line); m != nil {
			pw = m[1]
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if addr == "" {
		t.Fatalf("serve printed no address; stderr: %s", stderr)
	}
	return cmd, addr, pw, stderr
}

// TestServeProcess starts `concord serve` on a fresh database: it prints a
// one-time admin password that logs in and must be changed, stops cleanly
// on SIGTERM, and on the next start prints no password again.
func TestServeProcess(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "concord.db")
	if _, errOut, code := run(t, "serve", "--db", db, "--addr", "127.0.0.1:0"); code != exitUsage || !strings.Contains(errOut, "agency add") {
		t.Fatalf("serve without an agency: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "agency", "add", "--db", db, "--self", "--id", "cert-pl", "--name", "CERT Polska", "--country", "PL"); code != exitOK {
		t.Fatalf("agency add: %s", errOut)
	}
	if _, errOut, code := run(t, "serve", "--db", db, "--addr", "0.0.0.0:0"); code != exitUsage || !strings.Contains(errOut, "plain HTTP") {
		t.Errorf("plain HTTP beyond loopback: %d %s", code, errOut)
	}

	cmd, addr, pw, stderr := startServe(t, db)
	if pw == "" {
		t.Fatal("the first start printed no one-time password")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(addr+"/login", url.Values{"user": {"admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/password" {
		t.Errorf("login with the one-time password: %d → %q, want the password form", resp.StatusCode, resp.Header.Get("Location"))
	}
	if strings.Contains(stderr.String(), pw) {
		t.Error("the server log holds the password")
	}

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v; stderr: %s", err, stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stopping took %s", d)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := http.Get(addr + "/healthz"); err == nil {
		t.Error("the server still answers after stopping")
	}

	_, _, pw2, _ := startServe(t, db)
	if pw2 != "" {
		t.Error("a second start printed a new admin password")
	}
}
