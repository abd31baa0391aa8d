package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
)

// Response work on an incident: tasks, observables and comments. Each
// change locks the incident, is validated, lands on the timeline (comments
// excepted) and is audited in the same transaction.

// AddTask adds a piece of response work to an incident.
func (tx *Tx) AddTask(ctx context.Context, p access.Principal, id int64, t *incident.Task) error {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return err
	}
	if err := validTask(t); err != nil {
		return err
	}
	err = tx.queryRow(ctx, `INSERT INTO incident_tasks (org_id, incident_id, title, assignee, due_at, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, r.OrgID, r.ID, t.Title, t.Assignee, tsPtr(t.Due), t.Status, ts(tx.now)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	if err := tx.appendTimeline(ctx, &r, p, "task", "Task added: "+t.Title); err != nil {
		return err
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.task.add", "incident", r.ID, audit.Change(nil, t))
}

func validTask(t *incident.Task) error {
	t.Title, t.Assignee = strings.TrimSpace(t.Title), strings.TrimSpace(t.Assignee)
	if t.Status == "" {
		t.Status = incident.TaskOpen
	}
	probe := incident.Incident{Title: "t", OrgID: 1, AwareAt: time.Unix(1, 0), Status: incident.StatusNew, Tasks: []incident.Task{*t}}
	if err := probe.Validate(); err != nil {
		return aceso.Errorf(aceso.EINVALID, "%s", strings.Replace(aceso.ErrorMessage(err), "tasks[0].", "task ", 1))
	}
	if len(t.Title) > 500 || len(t.Assignee) > 200 {
		return aceso.Errorf(aceso.EINVALID, "task: title over 500 or assignee over 200 characters")
	}
	return nil
}

// UpdateTask changes a task's title, assignee, due time and status.
func (tx *Tx) UpdateTask(ctx context.Context, p access.Principal, id int64, t *incident.Task) error {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return err
	}
	var before *incident.Task
	for i := range r.Tasks {
		if r.Tasks[i].ID == t.ID {
			before = &r.Tasks[i]
		}
	}
	if before == nil {
		return aceso.Errorf(aceso.ENOTFOUND, "task %d of incident %d not found", t.ID, id)
	}
	if err := validTask(t); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE incident_tasks SET title = $4, assignee = $5, due_at = $6, status = $7, updated_at = $8
		WHERE org_id = $1 AND incident_id = $2 AND id = $3`, r.OrgID, r.ID, t.ID, t.Title, t.Assignee, tsPtr(t.Due), t.Status, ts(tx.now))
	if err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	if before.Status != t.Status {
		if err := tx.appendTimeline(ctx, &r, p, "task", fmt.Sprintf("Task %q: %s → %s", t.Title, before.Status, t.Status)); err != nil {
			return err
		}
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.task.update", "incident", r.ID, audit.Change(before, t))
}

// AddObservable adds an indicator to an incident, validated and
// normalised (refanged, canonical form) so that equal indicators are
// stored once; a duplicate is a conflict.
func (tx *Tx) AddObservable(ctx context.Context, p access.Principal, id int64, o *incident.Observable) error {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return err
	}
	o.Kind = strings.ToLower(strings.TrimSpace(o.Kind))
	v, err := incident.ValidateObservable(o.Kind, o.Value)
	if err != nil {
		return err
	}
	o.Value, o.Note = v, strings.TrimSpace(o.Note)
	if len(o.Note) > 2000 {
		return aceso.Errorf(aceso.EINVALID, "observable note: longer than 2000 bytes")
	}
	for _, have := range r.Observables {
		if have.Kind == o.Kind && have.Value == o.Value {
			return aceso.Errorf(aceso.ECONFLICT, "observable %s %s is recorded already", o.Kind, o.Value)
		}
	}
	if _, err := tx.exec(ctx, "INSERT INTO incident_observables (org_id, incident_id, kind, value, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		r.OrgID, r.ID, o.Kind, o.Value, o.Note, ts(tx.now)); err != nil {
		return fmt.Errorf("insert observable: %w", err)
	}
	if err := tx.appendTimeline(ctx, &r, p, "observable", "Observable added: "+o.Kind+" "+o.Value); err != nil {
		return err
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.observable.add", "incident", r.ID, audit.Change(nil, o))
}

// AddComment adds a handler's remark to an incident.
func (tx *Tx) AddComment(ctx context.Context, p access.Principal, id int64, c *incident.Comment) error {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return err
	}
	c.Text = strings.TrimSpace(c.Text)
	switch {
	case c.Text == "":
		return aceso.Errorf(aceso.EINVALID, "comment text: required")
	case len(c.Text) > 20_000:
		return aceso.Errorf(aceso.EINVALID, "comment text: longer than 20000 bytes")
	}
	c.At, c.Author = tx.now, actorName(p)
	err = tx.queryRow(ctx, "INSERT INTO incident_comments (org_id, incident_id, at, author, text) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		r.OrgID, r.ID, ts(c.At), c.Author, c.Text).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert comment: %w", err)
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.comment.add", "incident", r.ID, audit.Change(nil, map[string]any{"comment_id": c.ID}))
}
