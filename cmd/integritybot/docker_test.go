package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/config"
)

// The image cannot be built here (no Docker daemon); these tests read the Dockerfile,
// .dockerignore and docs/running.md and check that what they state agrees with the code:
// ports, UDP range, config path, data directory, the healthcheck command, the build context.

const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct{ cmd, args string }

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasPrefix(line, "#") { // a comment inside a continued instruction
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// runtimeStage returns the instructions after the last FROM.
func runtimeStage(ins []instruction) []instruction {
	last := 0
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	return ins[last:]
}

// env returns the value the stage's ENV instructions give name.
func env(ins []instruction, name string) string {
	v := ""
	re := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(name) + `=(\S+)`)
	for _, in := range ins {
		if in.cmd == "ENV" {
			if m := re.FindStringSubmatch(in.args); m != nil {
				v = m[1]
			}
		}
	}
	return v
}

// dockerConfig is configs/docker.yaml, loaded as the image loads it: the file, then the
// image's ENV over it.
func dockerConfig(t *testing.T, ins []instruction) config.Config {
	t.Helper()
	stage := runtimeStage(ins)
	vars := map[string]string{config.EnvAddr: env(stage, config.EnvAddr), config.EnvDataDir: env(stage, config.EnvDataDir)}
	cfg, err := config.LoadEnv(filepath.Join(repoRoot, "configs", "docker.yaml"), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("configs/docker.yaml: %v", err)
	}
	return cfg
}

// TestDockerfileAgreesWithConfig: the runtime image has ffmpeg and libvpx; it EXPOSEs the
// port it listens on and the UDP range of its config; CMD's --config is the file COPY puts
// there (configs/docker.yaml), listening on the same address as the image's ENV; the data
// directory is the VOLUME; HEALTHCHECK runs a command the binary has.
func TestDockerfileAgreesWithConfig(t *testing.T) {
	ins := readDockerfile(t)
	stage := runtimeStage(ins)
	cfg := dockerConfig(t, ins)

	var apt, cmd, health, volume string
	var exposed []string
	copies := map[string]string{} // destination → source
	for _, in := range stage {
		switch in.cmd {
		case "RUN":
			if strings.Contains(in.args, "apt-get install") {
				apt += in.args
			}
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "COPY":
			if f := strings.Fields(in.args); len(f) == 2 {
				copies[f[1]] = f[0]
			}
		case "CMD":
			cmd = in.args
		case "HEALTHCHECK":
			health = in.args
		case "VOLUME":
			volume = in.args
		}
	}
	for _, pkg := range []string{"ffmpeg", "libvpx7", "ca-certificates", "tzdata"} {
		if !slices.Contains(strings.Fields(apt), pkg) {
			t.Errorf("runtime image does not install %s: %q", pkg, apt)
		}
	}

	_, port, err := net.SplitHostPort(cfg.Server.Addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", cfg.Server.Addr, err)
	}
	if host, _, _ := net.SplitHostPort(cfg.Server.Addr); host != "0.0.0.0" && host != "" {
		t.Errorf("the container listens on %s: unreachable through a published port", cfg.Server.Addr)
	}
	if !slices.Contains(exposed, port+"/tcp") {
		t.Errorf("EXPOSE %v does not include the listen port %s/tcp", exposed, port)
	}
	udp := cfgUDP(cfg)
	if cfg.WebRTC.UDPPortMin == 0 || !slices.Contains(exposed, udp) {
		t.Errorf("EXPOSE %v does not include the config's UDP range %s", exposed, udp)
	}
	if cfg.WebRTC.IncludeLoopback {
		t.Error("configs/docker.yaml offers loopback candidates: no browser runs inside the container")
	}

	m := regexp.MustCompile(`"--config",\s*"([^"]+)"`).FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("CMD %s gives no --config", cmd)
	}
	if src := copies[m[1]]; src != "configs/docker.yaml" {
		t.Errorf("CMD reads %s, which COPY fills from %q; want configs/docker.yaml", m[1], src)
	}
	if cfg.DataDir != "/data" || !strings.Contains(volume, cfg.DataDir) {
		t.Errorf("data directory %q, VOLUME %q: want the same /data", cfg.DataDir, volume)
	}

	hm := regexp.MustCompile(`CMD \["integritybot", "([a-z]+)"\]`).FindStringSubmatch(health)
	if hm == nil || !slices.ContainsFunc(commands(), func(c command) bool { return c.name == hm[1] }) {
		t.Errorf("HEALTHCHECK %q does not run an integritybot command", health)
	}
}

// cfgUDP is the config's UDP range as EXPOSE and docker run -p write it.
func cfgUDP(cfg config.Config) string {
	return strconv.Itoa(int(cfg.WebRTC.UDPPortMin)) + "-" + strconv.Itoa(int(cfg.WebRTC.UDPPortMax)) + "/udp"
}

// TestDockerRunLine: the docker run line of docs/running.md publishes the listen port and
// the UDP range, mounts a config at the path CMD reads and a volume at /data.
func TestDockerRunLine(t *testing.T) {
	ins := readDockerfile(t)
	cfg := dockerConfig(t, ins)
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "running.md"))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.ReplaceAll(string(b), "\\\n", " ")
	var line string
	for l := range strings.SplitSeq(joined, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "docker run ") {
			line = l
			break
		}
	}
	if line == "" {
		t.Fatal("docs/running.md has no docker run line")
	}
	_, port, _ := net.SplitHostPort(cfg.Server.Addr)
	udp := strings.TrimSuffix(cfgUDP(cfg), "/udp")
	for _, want := range []string{
		"-p " + port + ":" + port + " ",
		"-p " + udp + ":" + udp + "/udp",
		":/etc/integritybot/integritybot.yaml:ro",
		":/data ",
	} {
		if !strings.Contains(line+" ", want) {
			t.Errorf("docker run line lacks %q:\n%s", want, line)
		}
	}
}

// TestDockerignore: the build context leaves out the data directory (the API token and the
// interviews), the git directory, build output and generated media, and keeps the sources
// and everything //go:embed needs.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	ig := parseIgnore(string(b))
	for _, p := range []string{"data/integritybot.db", "data/integritybot.db.lock", "data", "cmd/integritybot/data/x.db",
		"bin/integritybot", ".git/HEAD", "clip.y4m", "media/x/out.ivf", "integritybot.db", "media/face/cascade/facefinder"} {
		if !ig.excluded(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/integritybot/main.go", "configs/docker.yaml", "media/faceswap/model.bin",
		"media/face/cascade/README.md", "internal/web/static/room.js", "internal/geo/cities.tsv"} {
		if ig.excluded(p) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", p)
		}
	}
}

// ignore is a .dockerignore: patterns in order, the last match wins, "!" re-includes; a
// pattern matching a directory excludes what is inside (Docker's patternmatcher rules).
type ignore []struct {
	re     *regexp.Regexp
	negate bool
}

func parseIgnore(s string) ignore {
	var ig ignore
	for l := range strings.SplitSeq(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		neg := strings.HasPrefix(l, "!")
		l = filepath.Clean(strings.TrimPrefix(strings.TrimPrefix(l, "!"), "/"))
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(l); i++ {
			switch c := l[i]; {
			case strings.HasPrefix(l[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(l[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		ig = append(ig, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile(re.String()), neg})
	}
	return ig
}

// excluded reports whether path (slash-separated, relative to the context) is left out.
func (ig ignore) excluded(path string) bool {
	ex := false
	for _, p := range ig {
		for prefix := path; prefix != "."; prefix = filepath.Dir(prefix) {
			if p.re.MatchString(prefix) {
				ex = !p.negate
				break
			}
		}
	}
	return ex
}
