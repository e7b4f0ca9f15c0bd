package httpapi

import (
	"context"
)

// ReplicaState is what Config.Replica finds of the read replica.
type ReplicaState struct {
	// Up: the replica answered as a standby; Err says why not (for the
	// log only, never for the caller).
	Up  bool
	Err error
	// LagBytes and LagSeconds are how far it is behind the primary.
	LagBytes   int64
	LagSeconds float64
}

// replicaReport is the replica member of /readyz's body.
type replicaReport struct {
	// Status is "up" or "down".
	Status     string   `json:"status"`
	LagBytes   *int64   `json:"lagBytes,omitempty"`
	LagSeconds *float64 `json:"lagSeconds,omitempty"`
	Detail     string   `json:"detail,omitempty"`
}

// readyBody is /readyz's answer when the node is ready.
type readyBody struct {
	Status  string         `json:"status"`
	Replica *replicaReport `json:"replica,omitempty"`
}

// replicaReport starts asking for the replica's state, alongside the
// readiness check, and returns the function that waits for the answer:
// nil without a replica. A replica that is down does not make the node
// unready (its reads go to the primary); the body says so.
func (s *Server) replicaReport(ctx context.Context) func() *replicaReport {
	if s.replica == nil {
		return func() *replicaReport { return nil }
	}
	ch := make(chan ReplicaState, 1)
	go func() { ch <- s.replica(ctx) }()
	return func() *replicaReport {
		st := <-ch
		if !st.Up {
			if st.Err != nil {
				s.log.WarnContext(ctx, "replica down", "request_id", requestID(ctx), "error", st.Err.Error())
			}
			return &replicaReport{Status: "down", Detail: "The read replica does not answer; reads go to the primary."}
		}
		return &replicaReport{Status: "up", LagBytes: &st.LagBytes, LagSeconds: &st.LagSeconds}
	}
}
