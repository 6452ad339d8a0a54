package harness

import "testing"

func TestScenarioNamesUnique(t *testing.T) {
	// A name used in both sets must mean the same scenario, since
	// -scenarios picks by name from either.
	byName := map[string]Scenario{}
	for _, set := range [][]Scenario{FullScenarios(), SmokeScenarios()} {
		seen := map[string]bool{}
		for _, sc := range set {
			if sc.Name == "" || seen[sc.Name] {
				t.Errorf("scenario name %q empty or repeated", sc.Name)
			}
			seen[sc.Name] = true
			if prev, ok := byName[sc.Name]; ok && prev.Describe() != sc.Describe() {
				t.Errorf("scenario %q differs between full and smoke", sc.Name)
			}
			byName[sc.Name] = sc
			if sc.Conns <= 0 || sc.Method == "" || sc.Path == "" || sc.ExpectBodyBytes <= 0 {
				t.Errorf("scenario %q incomplete: %+v", sc.Name, sc)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	open := getSmall.with("o", 1)
	open.Rate = 2000
	routes := getSmall.with("r", 50)
	routes.ExtraRoutes = 999
	newConn := post16k.with("n", 10)
	newConn.NewConnPerRequest = true
	tests := []struct {
		name string
		sc   Scenario
		want string
	}{
		{name: "open loop", sc: open,
			want: "GET /1k, 1 connection, keep-alive, open loop at 2000 req/s (latency from the intended send time)"},
		{name: "routes", sc: routes, want: "GET /1k, 50 connections, keep-alive, closed loop, 1000 routes in the table"},
		{name: "post new conn", sc: newConn,
			want: "POST /echo-size with a 16 KiB body, 10 connections, a new connection per request, closed loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.Describe(); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}
