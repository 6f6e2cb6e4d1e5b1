package room

import (
	"fmt"
	"time"

	"github.com/integritybot/integritybot/bot"
)

// challengeGap is the pause between two liveness prompts ("look at the camera again"): the
// face comes back to frontal, so each prompt starts from the same pose, and a late answer to
// one prompt does not count for the next.
const challengeGap = 2 * time.Second

// onChallenge handles the interviewer's "liveness" (run the prompt sequence on the
// candidate's page) and "mark" (a challenge the interviewer asked for themselves, from now).
func (p *participant) onChallenge(msg Message) {
	if p.role != Interviewer {
		p.sock.Send(out{Type: "error", Error: "only the interviewer can start a liveness check"})
		return
	}
	if msg.Type == "mark" {
		p.rm.mark(p, msg.Step, time.Duration(msg.Seconds)*time.Second)
		return
	}
	if err := p.rm.startChallenge(); err != nil {
		p.sock.Send(out{Type: "error", Error: err.Error()})
	}
}

// mark records a challenge window of step from now for d and confirms it to the interviewer.
func (rm *Room) mark(iv *participant, step string, d time.Duration) {
	text, ok := bot.PromptText(step)
	if !ok { // custom: something the interviewer asked for in their own words
		text = "a challenge of your own (described, not judged)"
	}
	from := rm.sess.Since(rm.m.now())
	if err := rm.sess.Challenge(step, fmt.Sprintf("The interviewer marked a liveness challenge (%s) for %s.", step, d), from, from+d); err != nil {
		iv.sock.Send(out{Type: "error", Error: ErrEnded.Error()})
		return
	}
	iv.sock.Send(out{Type: "challenge", Step: step, Text: "Marked: " + text, Seconds: int(d / time.Second), Index: 1, Count: 1})
}

// startChallenge starts the prompt sequence unless one is running or the candidate is not
// in the call.
func (rm *Room) startChallenge() error {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	cand := rm.parts[Candidate]
	switch {
	case rm.ended != nil:
		return ErrEnded
	case cand == nil || !cand.isPresent():
		return fmt.Errorf("the candidate is not in the call yet; start the liveness check once they have joined")
	case !rm.challenging.CompareAndSwap(false, true):
		return fmt.Errorf("a liveness check is already running")
	}
	// Added under rm.mu while the room is not ended: end sets rm.ended under the same lock
	// before it waits for rm.wg.
	rm.wg.Add(1)
	go rm.runChallenge(cand)
	return nil
}

// runChallenge shows each prompt on the candidate's page, records its window in the session
// and tells the interviewer's page what is being asked. It stops when the candidate leaves
// or the call ends.
func (rm *Room) runChallenge(cand *participant) {
	defer rm.wg.Done()
	defer rm.challenging.Store(false)
	prompts := bot.Prompts()
	n := len(prompts)
	for i, pr := range prompts {
		if i > 0 && !rm.challengeWait(cand, out{Type: "challenge", Step: "rest", Text: "Look at the camera again.",
			Seconds: int(challengeGap / time.Second), Index: i, Count: n}, challengeGap) {
			return
		}
		from := rm.sess.Since(rm.m.now())
		if rm.sess.Challenge(pr.Step, fmt.Sprintf("Liveness prompt %d of %d (%s): %s", i+1, n, pr.Step, pr.Text), from, from+pr.Hold) != nil {
			return // the call is ending
		}
		if !rm.challengeWait(cand, out{Type: "challenge", Step: pr.Step, Text: pr.Text,
			Seconds: int(pr.Hold / time.Second), Index: i + 1, Count: n}, pr.Hold) {
			return
		}
	}
	rm.challengeSend(cand, out{Type: "challenge", Step: "done", Text: "Thank you, that was all.", Index: n, Count: n})
}

// challengeWait sends msg to both participants and waits d; false means stop (the candidate
// left or rejoined, or the call ended).
func (rm *Room) challengeWait(cand *participant, msg out, d time.Duration) bool {
	if !rm.challengeSend(cand, msg) {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-rm.stop:
		return false
	case <-t.C:
		return true
	}
}

// challengeSend sends msg to the candidate and the interviewer; when the candidate is no
// longer the one the sequence started with, it tells the interviewer the check stopped.
func (rm *Room) challengeSend(cand *participant, msg out) bool {
	rm.mu.Lock()
	current := rm.parts[Candidate] == cand
	iv := rm.parts[Interviewer]
	rm.mu.Unlock()
	if !current {
		if iv != nil {
			iv.sock.Send(out{Type: "challenge", Step: "cancelled", Text: "The liveness check stopped: the candidate left the call."})
		}
		rm.sess.Event("challenge", "The liveness check stopped: the candidate left the call.")
		return false
	}
	cand.sock.Send(msg)
	if iv != nil {
		iv.sock.Send(msg)
	}
	return true
}
