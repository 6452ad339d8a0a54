package limits

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWriteHeaders(t *testing.T) {
	e := newEngine(t, plansTOML, nil)
	tests := []struct {
		name     string
		consumer string
		ip       string
		at       time.Duration
		n        int // requests before the one whose headers are checked
		want     map[string]string
	}{
		{name: "free first request", consumer: "alice", ip: "10.0.0.1", at: 12 * time.Second,
			want: map[string]string{
				"RateLimit-Policy": `"free-min";q=3;w=60, "free-quota";q=5;w=86400`,
				"RateLimit":        `"free-min";r=2;t=48, "free-quota";r=4;t=43188`,
			}},
		{name: "free refused", consumer: "carol", ip: "10.0.0.1", n: 3, want: map[string]string{
			"RateLimit-Policy": `"free-min";q=3;w=60`,
			"RateLimit":        `"free-min";r=0;t=80`,
			"Retry-After":      "80",
		}},
		{name: "pro both, hidden guard left out", consumer: "bob", ip: "10.0.0.1",
			want: map[string]string{
				"RateLimit-Policy":      `"pro-sec";q=10;w=1`,
				"RateLimit":             `"pro-sec";r=9;t=1`,
				"X-RateLimit-Limit":     "10",
				"X-RateLimit-Remaining": "9",
				"X-RateLimit-Reset":     "1",
			}},
		{name: "hidden guard refuses without naming itself", consumer: "bob", ip: "10.0.0.2",
			n: 4, at: 10 * time.Second, want: map[string]string{
				"RateLimit-Policy":      `"pro-sec";q=10;w=1`,
				"RateLimit":             `"pro-sec";r=6;t=1`,
				"X-RateLimit-Limit":     "10",
				"X-RateLimit-Remaining": "6",
				"X-RateLimit-Reset":     "1",
				"Retry-After":           "65",
			}},
		{name: "anonymous legacy only", ip: "10.0.0.3", want: map[string]string{
			"X-RateLimit-Limit":     "2",
			"X-RateLimit-Remaining": "1",
			"X-RateLimit-Reset":     "60",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(tt.at)
			v := request(tt.ip)
			admitN(e, "api", v, tt.consumer, now, tt.n)
			d := e.CheckAt(e.Route("api"), v, tt.consumer, now)
			h := respHeader{}
			d.WriteHeaders(h)
			if len(h) != len(tt.want) {
				t.Errorf("WriteHeaders wrote %v, want %v", h, tt.want)
			}
			for k, v := range tt.want {
				if h[k] != v {
					t.Errorf("header %s = %q, want %q", k, h[k], v)
				}
			}
		})
	}
}

func TestAppendBody(t *testing.T) {
	e := newEngine(t, plansTOML, nil)
	v := request("10.0.0.1")
	admitN(e, "api", v, "alice", t0, 3)
	d := e.CheckAt(e.Route("api"), v, "alice", t0)
	if d.Allowed() {
		t.Fatal("fourth request allowed, want refused")
	}
	got := string(d.AppendBody([]byte("x"), []byte("id-1\"\n\\")))
	want := `x{"error":"rate_limited","message":"too many requests","policy":"free-min",` +
		`"retry_after":80,"request_id":"id-1\"\\"}` + "\n"
	if got != want {
		t.Errorf("AppendBody() = %s, want %s", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(got[1:]), &m); err != nil {
		t.Errorf("AppendBody() is not JSON: %v", err)
	}

	// Quota: alice has used 3 of 5 today; two more after the window.
	later := t0.Add(2 * time.Minute)
	admitN(e, "api", v, "alice", later, 2)
	d = e.CheckAt(e.Route("api"), v, "alice", later)
	if d.Allowed() || !d.QuotaExhausted() {
		t.Fatalf("request past the quota: allowed %v, quota %v", d.Allowed(), d.QuotaExhausted())
	}
	body := d.AppendBody(nil, nil)
	if !bytes.Contains(body, []byte(`"error":"quota_exhausted"`)) ||
		!bytes.Contains(body, []byte(`"policy":"free-quota"`)) {
		t.Errorf("quota body = %s", body)
	}
	if d.RetryAfter() != int64(12*time.Hour-2*time.Minute)/1e9 {
		t.Errorf("RetryAfter() = %d, want seconds to midnight", d.RetryAfter())
	}
}

// TestRejectedReload checks that closing a new Engine whose reload was
// rejected hands the counters back to the old one, which keeps them.
func TestRejectedReload(t *testing.T) {
	tests := []struct {
		name     string
		closeOld bool // the reload went through: the old Engine closes first
	}{
		{name: "rejected, old engine keeps counting"},
		{name: "accepted, old engine closed first", closeOld: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e1, err := New(parse(t, plansTOML), nil, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			e2, err := New(parse(t, plansTOML), e1, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			if tt.closeOld {
				e1.Close()
				e2.Close()
				if !e2.back.loc.closed() {
					t.Error("backend still running after both Engines closed")
				}
				return
			}
			e2.Close()
			if e1.back.loc.closed() {
				t.Fatal("closing the rejected Engine stopped the old one's counters")
			}
			e1.Close()
			if !e1.back.loc.closed() {
				t.Error("backend still running after both Engines closed")
			}
		})
	}
}

func TestUsageSurvivesReload(t *testing.T) {
	e1 := newEngine(t, plansTOML, nil)
	v := request("10.0.0.1")
	admitN(e1, "api", v, "alice", t0, 4)
	admitN(e1, "api", v, "", t0, 3)
	admitN(e1, "open", v, "zed", t0, 2)

	// Reload: the counters carry over too, so alice stays limited.
	e2 := newEngine(t, plansTOML, e1)
	e1.Close()
	admitN(e2, "api", v, "alice", t0, 1)

	var buf bytes.Buffer
	if err := e2.UsageJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want := `{"usage":[` +
		`{"route":"api","consumer":"(anonymous)","admitted":2,"limited":1,"quota_exhausted":0},` +
		`{"route":"api","consumer":"alice","admitted":3,"limited":2,"quota_exhausted":0},` +
		`{"route":"open","consumer":"zed","admitted":1,"limited":1,"quota_exhausted":0}]}` + "\n"
	if buf.String() != want {
		t.Errorf("UsageJSON() =\n%s\nwant\n%s", buf.String(), want)
	}
}

// FuzzAppendBody checks that any request id gives a valid JSON body that
// carries the id's printable ASCII bytes.
func FuzzAppendBody(f *testing.F) {
	for _, s := range []string{"abc", `a"b\c`, "\x00\x1f\x7f", "é✓", "\xed\n\x9f\xab", ""} {
		f.Add([]byte(s))
	}
	e := newEngine(f, plansTOML, nil)
	v := request("10.0.0.1")
	admitN(e, "api", v, "alice", t0, 3)
	d := e.CheckAt(e.Route("api"), v, "alice", t0)
	f.Fuzz(func(t *testing.T, id []byte) {
		body := d.AppendBody(nil, id)
		if !utf8.Valid(body) {
			t.Fatalf("AppendBody(%q) = %q: not UTF-8", id, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("AppendBody(%q) = %s: not JSON: %v", id, body, err)
		}
		var want []byte
		for _, c := range id {
			if c >= 0x20 && c < 0x7f {
				want = append(want, c)
			}
		}
		if got, _ := m["request_id"].(string); got != string(want) {
			t.Errorf("request_id = %q, want %q", got, want)
		}
	})
}
