package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerMISPRoutes serves the MISP feeds a MISP instance subscribes to:
// /feeds/misp/public/ (TLP:CLEAR, no authentication) and
// /feeds/misp/community/ (TLP:GREEN and below, an API token as
// "Authorization: Bearer"). Errors are Aceso's JSON error shape.
func (s *Server) registerMISPRoutes(c *shareCache) {
	for _, ch := range []share.Channel{share.ChannelPublic, share.ChannelCommunity} {
		auth, who := Public, "no authentication"
		if ch == share.ChannelCommunity {
			auth, who = User, "API token"
		}
		base := "/feeds/misp/" + string(ch) + "/"
		for _, f := range []struct{ path, summary string }{
			{"manifest.json", "MISP feed manifest"},
			{"hashes.csv", "MISP feed hashes (md5 of each attribute value, event uuid)"},
			{"{event}", "One MISP event file ({uuid}.json)"},
		} {
			channel, file := ch, f.path
			s.feedRoute(Route{Method: http.MethodGet, Path: base + f.path, Auth: auth, Act: access.ActRead, API: true,
				Summary: f.summary + ", " + string(ch) + " channel (" + share.ChannelMax(string(ch)).String() + " and below; " + who + ")"},
				func(w http.ResponseWriter, r *http.Request, p access.Principal) error {
					name := file
					if name == "{event}" {
						name = strings.ToLower(r.PathValue("event"))
						if !strings.HasSuffix(name, ".json") || !share.IsUUID(strings.TrimSuffix(name, ".json")) {
							return aceso.Errorf(aceso.ENOTFOUND, "feed file %.60q not found", r.PathValue("event"))
						}
					}
					feed, err := c.mispFeed(r.Context(), s.db, p, channel)
					if err != nil {
						return err
					}
					data, ok := feed[name]
					if !ok {
						return aceso.Errorf(aceso.ENOTFOUND, "feed file %.60q not found", name)
					}
					ct := "application/json"
					if strings.HasSuffix(name, ".csv") {
						ct = "text/csv; charset=utf-8"
					}
					w.Header().Set("Content-Type", ct)
					w.Header().Set("Cache-Control", "no-cache")
					_, _ = w.Write(data)
					return nil
				})
		}
	}
}

// feedRoute wraps a feed handler: token authentication where the route
// needs it (MISP sends the key as a header), and errors as Aceso JSON even
// though the path is not under /api/.
func (s *Server) feedRoute(rt Route, h handlerFunc) {
	s.handleOwn(rt, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
		p, authed, err := s.tokenPrincipal(r)
		if err == nil && rt.Auth != Public {
			if !authed {
				err = aceso.Errorf(aceso.EUNAUTHORIZED, "authentication required: send an API token as 'Authorization: Bearer TOKEN'")
			} else {
				err = access.Authorize(p, rt.Act, p.OrgID)
			}
		}
		if err == nil {
			err = h(w, r, p)
		}
		if err != nil {
			s.jsonFail(w, r, err)
		}
	})
}

// jsonFail answers with Aceso's JSON error shape whatever the path.
func (s *Server) jsonFail(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = aceso.Errorf(aceso.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
	}
	code := aceso.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := aceso.ErrorMessage(err)
	if status >= 500 {
		s.log.Error("request failed", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		if code == aceso.EINTERNAL {
			msg = "internal error; the request id is " + requestID(r.Context())
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aceso"`)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// mispFeed returns the feed files of channel, regenerated when the store's
// sharing stamp changed. The caller has been authorised for the channel;
// the feed is the same for every reader of a channel.
func (c *shareCache) mispFeed(ctx context.Context, db *store.DB, p access.Principal, channel share.Channel) (share.MemFeed, error) {
	stamp, err := db.SharingStamp(ctx)
	if err != nil {
		return nil, err
	}
	key := "misp:" + string(channel)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp[key] == stamp {
		return c.feeds[key], nil
	}
	events, err := db.SharedMISPEvents(ctx, p, channel)
	if err != nil {
		return nil, err
	}
	feed := share.MemFeed{}
	if _, err := share.WriteMISPFeed(feed, channel, events); err != nil {
		return nil, err
	}
	c.stamp[key], c.feeds[key] = stamp, feed
	return feed, nil
}
