package access

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// throttleStep is one action in a throttle scenario, with the expected
// answer of Allow afterwards.
type throttleStep struct {
	fail    int           // failures to record
	advance time.Duration // then move the clock
	reset   bool          // then reset the key
	ok      bool          // expected Allow
	retry   time.Duration // expected retryAfter
}

func TestThrottle(t *testing.T) {
	const limit, window = 3, 10 * time.Minute
	tests := []struct {
		name  string
		steps []throttleStep
	}{
		{name: "unknown key allowed", steps: []throttleStep{{ok: true}}},
		{name: "below limit allowed", steps: []throttleStep{{fail: 2, ok: true}}},
		{name: "at limit refused until the oldest failure expires", steps: []throttleStep{
			{fail: 3, retry: window},
			{advance: 4 * time.Minute, retry: 6 * time.Minute},
			{advance: 6*time.Minute - time.Second, retry: time.Second},
			{advance: time.Second, ok: true}, // a failure counts while now-f < window
		}},
		{name: "sliding window: retry follows the oldest counted failure", steps: []throttleStep{
			{fail: 1, advance: 2 * time.Minute, ok: true},
			{fail: 1, advance: 2 * time.Minute, ok: true},
			{fail: 1, retry: 6 * time.Minute},    // failures at 0, 2, 4 min
			{advance: 6 * time.Minute, ok: true}, // the one at 0 left
			{fail: 1, retry: 2 * time.Minute},    // 2, 4, 10: oldest at 2 leaves at 12
			{advance: 2 * time.Minute, ok: true}, // 4, 10
			{fail: 1, retry: 2 * time.Minute},    // 4, 10, 12: oldest at 4 leaves at 14
		}},
		{name: "more failures than limit keep the most recent", steps: []throttleStep{
			{fail: 3, advance: 5 * time.Minute, retry: 5 * time.Minute},
			{fail: 3, retry: window}, // six failures: the last three, at 5 min, count
			{advance: window - time.Nanosecond, retry: time.Nanosecond},
			{advance: time.Nanosecond, ok: true},
		}},
		{name: "reset clears failures", steps: []throttleStep{
			{fail: 3, retry: window},
			{reset: true, ok: true},
			{fail: 2, ok: true},
			{fail: 1, retry: window},
		}},
		{name: "everything expires after a quiet window", steps: []throttleStep{
			{fail: 10, advance: window, ok: true},
			{fail: 2, ok: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			th := NewThrottle(limit, window, clock.Now)
			other := "account:other"
			th.Fail(other) // another key must not interfere
			for i, s := range tt.steps {
				for range s.fail {
					th.Fail("account:alice")
				}
				clock.Advance(s.advance)
				if s.reset {
					th.Reset("account:alice")
				}
				ok, retry := th.Allow("account:alice")
				if ok != s.ok || retry != s.retry {
					t.Fatalf("step %d: Allow = %v, %v; want %v, %v", i, ok, retry, s.ok, s.retry)
				}
			}
			if ok, _ := th.Allow(other); !ok {
				t.Errorf("one failure of another key blocks it")
			}
		})
	}
}

func TestThrottleLimitOne(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(1, time.Minute, clock.Now)
	th.Fail("k")
	if ok, retry := th.Allow("k"); ok || retry != time.Minute {
		t.Fatalf("Allow = %v, %v; want false, 1m", ok, retry)
	}
}

func TestThrottleClockBackwards(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(2, time.Minute, clock.Now)
	th.Fail("k")
	th.Fail("k")
	clock.Advance(-time.Hour)
	if ok, retry := th.Allow("k"); ok || retry <= 0 || retry > time.Minute {
		t.Fatalf("Allow = %v, %v; want refused for at most one window", ok, retry)
	}
}

func TestNewThrottlePanics(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		window time.Duration
	}{
		{name: "zero limit", limit: 0, window: time.Minute},
		{name: "negative limit", limit: -1, window: time.Minute},
		{name: "zero window", limit: 5, window: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewThrottle(%d, %v) did not panic", tt.limit, tt.window)
				}
			}()
			NewThrottle(tt.limit, tt.window, nil)
		})
	}
}

// TestThrottlePrunesExpired sprays random keys, as an attacker guessing
// account names would, and checks that they are dropped once expired.
func TestThrottlePrunesExpired(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(5, time.Minute, clock.Now)
	for i := range 10_000 {
		th.Fail(fmt.Sprintf("ip:%d", i))
	}
	if n := th.Len(); n != 10_000 {
		t.Fatalf("Len = %d, want 10000 live keys", n)
	}
	clock.Advance(time.Minute)
	th.Allow("anyone")
	if n := th.Len(); n != 0 {
		t.Errorf("Len = %d after the window passed, want 0", n)
	}
}

// TestThrottleCap checks the hard bound on keys while all are live: the least
// recently failed keys go first, a key under attack right now stays.
func TestThrottleCap(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(3, time.Hour, clock.Now)
	th.maxKeys = 100
	for range 3 {
		th.Fail("account:victim")
	}
	for i := range 1000 {
		th.Fail(fmt.Sprintf("spray:%d", i))
		if i%50 == 0 {
			th.Fail("account:victim") // still being attacked
		}
		if n := th.Len(); n > 100 {
			t.Fatalf("Len = %d over the cap of 100", n)
		}
	}
	if ok, _ := th.Allow("account:victim"); ok {
		t.Errorf("the recently failed key was evicted")
	}
	if ok, _ := th.Allow("spray:0"); !ok {
		t.Errorf("the least recently failed key was not evicted")
	}
	if ok, _ := th.Allow("spray:999"); !ok {
		t.Errorf("one failure blocks a key with limit 3")
	}
	if got := th.Len(); got != 100 {
		t.Errorf("Len = %d, want 100", got)
	}
}

// TestThrottleConcurrent runs under -race: concurrent failures on one key are
// all counted, and the answer for each key is consistent afterwards.
func TestThrottleConcurrent(t *testing.T) {
	clock := newFakeClock()
	const limit = 50
	th := NewThrottle(limit, time.Minute, clock.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := "shared"
				if i%2 == 1 {
					key = fmt.Sprintf("own:%d", g)
				}
				th.Allow(key)
				th.Fail(key)
				if i%97 == 0 {
					clock.Advance(time.Millisecond)
				}
				th.Len()
			}
			th.Reset(fmt.Sprintf("own:%d", g))
		}()
	}
	wg.Wait()
	if ok, retry := th.Allow("shared"); ok || retry <= 0 {
		t.Errorf("shared key with 800 failures: Allow = %v, %v", ok, retry)
	}
	for g := range 8 {
		if ok, _ := th.Allow(fmt.Sprintf("own:%d", g)); !ok {
			t.Errorf("own:%d was reset but is refused", g)
		}
	}
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d, want 1 (only the shared key)", n)
	}
}

func BenchmarkThrottle(b *testing.B) {
	th := NewThrottle(10, time.Minute, nil)
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("ip:%d", i%50_000)
		th.Allow(key)
		th.Fail(key)
		i++
	}
}
