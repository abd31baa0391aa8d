package access

import (
	"container/list"
	"sync"
	"time"
)

// DefaultThrottleMaxKeys caps how many keys a Throttle tracks. At roughly
// 100–300 bytes a key it bounds memory to a few tens of MB however many
// accounts or addresses an attacker sprays.
const DefaultThrottleMaxKeys = 100_000

// Throttle limits failed logins per key (an account, an IP address) with a
// sliding window kept in memory. It is safe for concurrent use. Memory is
// bounded: keys whose failures all left the window are dropped as time
// passes, and past the key cap the key least recently failed is evicted.
type Throttle struct {
	limit   int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *throttleEntry
	lru  *list.List               // least recently failed first
}

type throttleEntry struct {
	key string
	// fails holds the times of the most recent failures, oldest first, at
	// most limit of them: older ones cannot change the decision.
	fails []time.Time
}

// NewThrottle returns a Throttle that refuses a key once limit failures were
// recorded for it within window. now is the clock (time.Now when nil),
// injected so tests control time. It panics when limit < 1 or window <= 0,
// which are programming errors.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	if limit < 1 || window <= 0 {
		panic("access: NewThrottle needs limit >= 1 and window > 0")
	}
	if now == nil {
		now = time.Now
	}
	return &Throttle{
		limit:   limit,
		window:  window,
		now:     now,
		maxKeys: DefaultThrottleMaxKeys,
		keys:    make(map[string]*list.Element),
		lru:     list.New(),
	}
}

// Allow reports whether another attempt for key may proceed. When it may
// not, retryAfter is how long until the oldest counted failure leaves the
// window and an attempt is allowed again.
func (t *Throttle) Allow(key string) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.pruneLocked(now)
	el, found := t.keys[key]
	if !found {
		return true, 0
	}
	e := el.Value.(*throttleEntry)
	e.fails = t.live(e.fails, now)
	if len(e.fails) == 0 {
		t.removeLocked(el)
		return true, 0
	}
	if len(e.fails) < t.limit {
		return true, 0
	}
	retry := e.fails[0].Add(t.window).Sub(now)
	// A clock that stepped backwards must not block for longer than a window.
	return false, min(max(retry, time.Nanosecond), t.window)
}

// Fail records a failed attempt for key. Callers record only attempts that
// Allow let through, so a blocked attacker cannot extend the block forever.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.pruneLocked(now)
	el, found := t.keys[key]
	if !found {
		for len(t.keys) >= t.maxKeys {
			t.removeLocked(t.lru.Front())
		}
		el = t.lru.PushBack(&throttleEntry{key: key, fails: make([]time.Time, 0, min(t.limit, 8))})
		t.keys[key] = el
	}
	e := el.Value.(*throttleEntry)
	fails := t.live(e.fails, now)
	if len(fails) == t.limit {
		// Keep only the most recent limit failures; shift in place so the
		// slice never grows beyond limit.
		copy(fails, fails[1:])
		fails = fails[:len(fails)-1]
	}
	e.fails = append(fails, now)
	t.lru.MoveToBack(el)
}

// Reset forgets key's failures, after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.keys[key]; ok {
		t.removeLocked(el)
	}
}

// Len returns how many keys are tracked, for metrics.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// live drops the failures that have left the window (a failure at f counts
// while now-f < window). It reuses fails' storage.
func (t *Throttle) live(fails []time.Time, now time.Time) []time.Time {
	cut := now.Add(-t.window)
	i := 0
	for i < len(fails) && !fails[i].After(cut) {
		i++
	}
	if i == 0 {
		return fails
	}
	n := copy(fails, fails[i:])
	return fails[:n]
}

// pruneLocked drops keys whose newest failure has left the window. The list
// is ordered by newest failure, so it stops at the first live key and costs
// O(1) amortised per call.
func (t *Throttle) pruneLocked(now time.Time) {
	cut := now.Add(-t.window)
	for el := t.lru.Front(); el != nil; el = t.lru.Front() {
		e := el.Value.(*throttleEntry)
		if len(e.fails) > 0 && e.fails[len(e.fails)-1].After(cut) {
			return
		}
		t.removeLocked(el)
	}
}

func (t *Throttle) removeLocked(el *list.Element) {
	delete(t.keys, el.Value.(*throttleEntry).key)
	t.lru.Remove(el)
}
