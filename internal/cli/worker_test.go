package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/ipdb"
)

// TestStreamIngestSurvivesAKilledWorker publishes the demo feeds to the
// NATS JetStream server named by CONCORD_TEST_NATS, kills the first worker
// with SIGKILL mid-stream, lets a second one finish, and expects exactly
// the database a direct ingest makes.
func TestStreamIngestSurvivesAKilledWorker(t *testing.T) {
	server := os.Getenv("CONCORD_TEST_NATS")
	if server == "" {
		t.Skip("set CONCORD_TEST_NATS=nats://127.0.0.1:4222 to run against a NATS JetStream server")
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.Generate(geo, demo.Options{Dir: dir, EVE: 40000})
	if err != nil {
		t.Fatal(err)
	}
	inputs := files.All()
	direct := filepath.Join(dir, "direct.db")
	if _, errOut, code := run(t, append([]string{"ingest", "--db", direct}, inputs...)...); code != exitOK {
		t.Fatalf("direct ingest: %s", errOut)
	}
	want := digest(t, direct)

	b := make([]byte, 6)
	rand.Read(b)
	name := "concord_test_" + hex.EncodeToString(b)
	t.Cleanup(func() { deleteStream(t, server, name) })
	url := server + "/" + name
	if out, errOut, code := run(t, append([]string{"ingest", "--to", url, "--json"}, inputs...)...); code != exitOK || !strings.Contains(out, `"files"`) {
		t.Fatalf("publish: %d %s %s", code, out, errOut)
	}

	viaStream := filepath.Join(dir, "stream.db")
	worker := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "worker", "--from", url, "--db", viaStream, "--ack-wait", "3s")
		cmd.Env = append(os.Environ(), "CONCORD_TEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := worker()
	time.Sleep(500 * time.Millisecond)
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	if _, err := os.Stat(viaStream); err == nil && digest(t, viaStream) == want {
		t.Fatal("the first worker finished before it was killed; the test proves nothing on a machine this fast (use a larger input)")
	}

	second := worker()
	deadline := time.Now().Add(60 * time.Second)
	for {
		time.Sleep(500 * time.Millisecond)
		if _, err := os.Stat(viaStream); err == nil && digest(t, viaStream) == want {
			break
		}
		if time.Now().After(deadline) {
			second.Process.Kill()
			t.Fatal("the stream's database never matched the direct ingest")
		}
	}
	second.Process.Signal(syscall.SIGTERM)
	if err := second.Wait(); err != nil {
		t.Errorf("the worker did not stop cleanly on SIGTERM: %v", err)
	}
}

func deleteStream(t *testing.T, server, name string) {
	nc, err := nats.Connect(server)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, name); err != nil {
		t.Logf("cleanup: delete stream %s: %v", name, err)
	}
}
