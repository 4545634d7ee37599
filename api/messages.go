package api

import "time"

// Questions and objections on a tender. Their texts are kept by the
// server and named here by their SHA-256.

// MessageKind is a kind of tender message.
type MessageKind string

// The message kinds.
const (
	Question  MessageKind = "question"
	Objection MessageKind = "objection"
)

func (MessageKind) about() string {
	return "question: a clarification question (aanwijzing), by a registered provider before the clarification end; " +
		"objection: an objection (sanggah) to the result, by a provider who made an offer, within the objection period."
}

func (MessageKind) values() []string { return enum(Question, Objection) }

// Message is a question or an objection, with its answer if any.
type Message struct {
	Kind     MessageKind `json:"kind"`
	By       string      `json:"by" doc:"The provider who asked."`
	Document Digest      `json:"document" doc:"The text: GET /v1/tenders/{tender}/documents/{digest}."`
	Time     time.Time   `json:"time"`
	Answer   *Answer     `json:"answer,omitempty" doc:"Absent until answered."`
}

func (Message) about() string { return "A question or an objection, with its answer once given." }

// Answer is the committee's answer to a message.
type Answer struct {
	By       string    `json:"by" doc:"The committee member who answered."`
	Document Digest    `json:"document" doc:"The text: GET /v1/tenders/{tender}/documents/{digest}."`
	Time     time.Time `json:"time"`
}

func (Answer) about() string { return "The committee's answer." }
