package state

import (
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/gatehouse-llm/gatehouse"
	"github.com/google/uuid"
)

// keyIndex holds every usable virtual key compactly: a fixed-size record
// per key in chunked arrays with no pointers, found through an
// open-addressing hash table of record numbers, both outside the Go heap
// (offHeap). A million keys cost about 75 MB and no heap objects, where a
// map of *gatehouse.Key cost about 340 MB and four million objects
// (BenchmarkKeyMemory) — plus as much again in collector headroom.
//
// The rare key with its own rate limits, or an id that is not a UUID,
// keeps that in a side map.
type keyIndex struct {
	chunks [][]keyRec
	n      uint32   // records handed out (live or free)
	free   []uint32 // records of removed keys, reused first
	live   int
	// slots holds record number + 1 (0 is empty), linear probing on the
	// first 8 bytes of the SHA-256 hash, which are uniformly distributed.
	slots  []uint32
	limits map[uint32]gatehouse.RateLimits
	ids    map[uint32]string
}

// keyRec is one key: 64 bytes.
type keyRec struct {
	hash    [32]byte
	id      [16]byte
	team    uint32 // team slot
	flags   uint32
	expires int64 // Unix microseconds; 0 never expires
}

const (
	recLive uint32 = 1 << iota
	recLimits
	recStringID
)

const chunkBits = 16

func (x *keyIndex) rec(i uint32) *keyRec { return &x.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// parseHash decodes a stored hex SHA-256.
func parseHash(s string) (h [32]byte, ok bool) {
	if len(s) != 64 {
		return h, false
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err == nil
}

// find returns the record number of hash and its slot, or ok false and the
// empty slot where it would go.
func (x *keyIndex) find(h *[32]byte) (rec uint32, slot int, ok bool) {
	if len(x.slots) == 0 {
		return 0, -1, false
	}
	mask := len(x.slots) - 1
	for i := int(binary.LittleEndian.Uint64(h[:8])) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, i, false
		}
		if r := x.rec(s - 1); r.hash == *h {
			return s - 1, i, true
		}
	}
}

// lookup returns the live record for a hash.
func (x *keyIndex) lookup(h *[32]byte) *keyRec {
	i, _, ok := x.find(h)
	if !ok {
		return nil
	}
	return x.rec(i)
}

// grow doubles the table when it is half full, keeping probes short.
func (x *keyIndex) grow() {
	if len(x.slots) > 0 && x.live*2 < len(x.slots) {
		return
	}
	size := max(1024, len(x.slots)*2)
	old := x.slots
	defer freeOffHeap(old)
	x.slots = offHeap[uint32](size)
	mask := size - 1
	for _, s := range old {
		if s == 0 {
			continue
		}
		h := &x.rec(s - 1).hash
		i := int(binary.LittleEndian.Uint64(h[:8])) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// put adds or replaces the key with hash h.
func (x *keyIndex) put(h [32]byte, id string, team uint32, expires *time.Time, limits gatehouse.RateLimits) {
	i, _, ok := x.find(&h)
	if !ok {
		x.grow()
		var slot int
		_, slot, _ = x.find(&h)
		if n := len(x.free); n > 0 {
			i, x.free = x.free[n-1], x.free[:n-1]
		} else {
			if int(x.n>>chunkBits) == len(x.chunks) {
				x.chunks = append(x.chunks, offHeap[keyRec](1<<chunkBits))
			}
			i = x.n
			x.n++
		}
		x.slots[slot] = i + 1
		x.live++
	}
	r := x.rec(i)
	*r = keyRec{hash: h, team: team, flags: recLive}
	delete(x.limits, i)
	delete(x.ids, i)
	if u, ok := canonicalUUID(id); ok {
		r.id = u
	} else {
		r.flags |= recStringID
		if x.ids == nil {
			x.ids = map[uint32]string{}
		}
		x.ids[i] = id
	}
	if expires != nil {
		r.expires = expires.UnixMicro()
		if r.expires == 0 {
			r.expires = 1
		}
	}
	if limits != (gatehouse.RateLimits{}) {
		r.flags |= recLimits
		if x.limits == nil {
			x.limits = map[uint32]gatehouse.RateLimits{}
		}
		x.limits[i] = limits
	}
}

// remove drops the key with hash h, if present, with backward-shift
// deletion so no tombstones slow later probes.
func (x *keyIndex) remove(h [32]byte) {
	i, slot, ok := x.find(&h)
	if !ok {
		return
	}
	*x.rec(i) = keyRec{}
	delete(x.limits, i)
	delete(x.ids, i)
	x.free = append(x.free, i)
	x.live--
	mask := len(x.slots) - 1
	hole := slot
	for j := (hole + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		rh := &x.rec(x.slots[j] - 1).hash
		home := int(binary.LittleEndian.Uint64(rh[:8])) & mask
		// Move the entry into the hole unless its home lies cyclically in
		// (hole, j].
		if (j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j) {
			x.slots[hole] = x.slots[j]
			hole = j
		}
	}
	x.slots[hole] = 0
}

// release returns the index's memory to the system; the index must not be
// used afterwards (an index being replaced, under the state's write lock).
func (x *keyIndex) release() {
	for _, c := range x.chunks {
		freeOffHeap(c)
	}
	freeOffHeap(x.slots)
	*x = keyIndex{}
}

// key materialises record i for a caller: one small allocation per
// authenticated request.
func (x *keyIndex) key(i *keyRec, teamID string) *gatehouse.Key {
	k := &gatehouse.Key{}
	x.fill(k, i, teamID)
	return k
}

// fill writes record i into k.
func (x *keyIndex) fill(k *gatehouse.Key, i *keyRec, teamID string) {
	n := x.recNumber(i)
	k.TeamID = teamID
	if i.flags&recStringID != 0 {
		k.ID = x.ids[n]
	} else {
		k.ID = uuid.UUID(i.id).String()
	}
	if i.flags&recLimits != 0 {
		k.RateLimits = x.limits[n]
	}
	if i.expires != 0 {
		t := time.UnixMicro(i.expires).UTC()
		k.ExpiresAt = &t
	}
}

// recNumber finds the number of a record from its address; only needed
// for the rare records with side-map data.
func (x *keyIndex) recNumber(r *keyRec) uint32 {
	if r.flags&(recStringID|recLimits) == 0 {
		return 0
	}
	i, _, _ := x.find(&r.hash)
	return i
}

// canonicalUUID parses id when it is a UUID in its canonical lowercase
// form (the form newID writes), so it can be stored as 16 bytes and
// printed back identically.
func canonicalUUID(id string) (uuid.UUID, bool) {
	if len(id) != 36 {
		return uuid.UUID{}, false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return u, false
	}
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return u, string(buf[:]) == id
}
