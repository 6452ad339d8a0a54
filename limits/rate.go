package limits

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/limiter"
)

// Bounds of a rate's window. A shorter window makes the counter noisy, a
// longer one would outlive the 8-bit window index the counters keep
// reliable only with expiry.
const (
	minWindow = time.Second
	maxWindow = 31 * 24 * time.Hour
)

// Rate parse errors, wrapped into config errors by the caller.
var (
	errRateSyntax = errors.New(`want "N per DURATION", e.g. "100 per 1s" or "10 per minute"`)
	errRateCount  = errors.New("count must be between 1 and 268435454")
	errRateWindow = errors.New("window must be between 1s and 744h")
)

// words are the named windows of the rate syntax.
var words = map[string]time.Duration{
	"second": time.Second,
	"minute": time.Minute,
	"hour":   time.Hour,
	"day":    24 * time.Hour,
}

// parseRate parses "N per DURATION" or "N per WORD": a count and the
// window it is counted in.
func parseRate(s string) (int64, time.Duration, error) {
	f := strings.Fields(s)
	if len(f) != 3 || f[1] != "per" {
		return 0, 0, errRateSyntax
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, 0, errRateSyntax
	}
	if n < 1 || n > limiter.MaxLimit {
		return 0, 0, errRateCount
	}
	win, ok := words[f[2]]
	if !ok {
		if win, err = time.ParseDuration(f[2]); err != nil {
			return 0, 0, errRateSyntax
		}
	}
	if win < minWindow || win > maxWindow {
		return 0, 0, errRateWindow
	}
	return n, win, nil
}
