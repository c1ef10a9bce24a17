package gatehouse

// Kinds of control-plane entity the change feed names. Each replica keeps
// the control plane in memory for the request path and, when an entity of
// one of these kinds changes anywhere, reloads only that entity.
const (
	ChangeOrganization = "organization" // id: organization id
	ChangeTeam         = "team"         // id: team id (its access groups and money settings included)
	ChangeKey          = "key"          // id: the key's hash, the request path's lookup key
	ChangeAlias        = "alias"        // id: alias name
	ChangeAccessGroup  = "access_group" // id: group name
	ChangeCredential   = "credential"   // id: credential id
	// ChangeReload asks every replica to reload the whole control plane,
	// after a change too broad to name entity by entity (a bulk load).
	ChangeReload = "reload"
)

// Change is one entry of the control-plane change feed: the entity a
// change touched, and the version (Seq) the change produced. Several
// entries share a Seq when one change touched several entities.
type Change struct {
	Seq  int64
	Kind string
	ID   string
}

// StateSink receives the control plane as a full load streams it, one
// entity at a time, instead of as one large StateData: a fleet of a
// million keys then never exists twice in memory. The loader may reuse
// the value it passes once the call returns, so a sink copies what it
// keeps. Keys, when they come, come after every team.
type StateSink interface {
	PutOrganization(*Organization)
	PutTeam(*Team)
	PutAlias(*Alias)
	PutAccessGroup(*AccessGroup)
	PutCredential(*Credential)
	PutKey(*Key)
}
