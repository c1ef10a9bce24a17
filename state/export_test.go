package state

import "github.com/gatehouse-llm/gatehouse"

// TeamOf and OrgOf let tests compare what replicas hold even where no key
// leads to it (a deleted team's leftovers would be invisible otherwise).
func TeamOf(s *Snapshot, id string) *gatehouse.Team {
	s.s.mu.RLock()
	defer s.s.mu.RUnlock()
	if slot, ok := s.s.idx.teams[id]; ok {
		return s.s.idx.teamSlots[slot]
	}
	return nil
}

func OrgOf(s *Snapshot, id string) *gatehouse.Organization {
	s.s.mu.RLock()
	defer s.s.mu.RUnlock()
	return s.s.idx.orgs[id]
}

// KeyCount is how many keys the index holds.
func KeyCount(s *Snapshot) int {
	s.s.mu.RLock()
	defer s.s.mu.RUnlock()
	return s.s.idx.keys.live
}
