package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// HTTPWebhook posts JSON messages to the recipient URL, signed with HMAC-SHA256
// so the receiver can check they come from this Aceso.
type HTTPWebhook struct {
	Client *http.Client
	Secret []byte // shared signing secret; never logged
}

// Send posts one message. Headers: Idempotency-Key (the dedup key),
// X-Aceso-Timestamp and X-Aceso-Signature = hex(HMAC-SHA256(secret, timestamp + "." + body)).
func (h *HTTPWebhook) Send(ctx context.Context, m Message) error {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 20 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Recipient, bytes.NewReader([]byte(m.Body)))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.DedupKey)
	req.Header.Set("X-Aceso-Timestamp", ts)
	if len(h.Secret) > 0 {
		req.Header.Set("X-Aceso-Signature", Sign(h.Secret, ts, []byte(m.Body)))
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", req.URL.Host, res.Status)
	}
	return nil
}

// Sign computes the webhook signature for a timestamp and body.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
