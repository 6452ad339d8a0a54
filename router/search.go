package router

import "bytes"

// frame is a node on the search stack that has a param or catch-all
// child: the node, the path offset just past what it matched, the number
// of parameters captured above it, and which branch the search tries next.
type frame struct {
	n     *node
	pos   int32
	np    uint8
	stage uint8
}

// Branches of a node, in the order a search tries them; this order is the
// precedence static > param > catch-all.
const (
	stageParam    = iota // the param child; the static one was tried first
	stageCatchAll        // the catch-all child
	stageDone            // nothing left: pop the frame
)

// search walks one host's tree for path, depth first and in precedence
// order, and backtracks out of branches that dead-end. It returns the
// entry of the first leaf that accepts the method, or -1 and whether some
// leaf matched the path at all. Captured values go into ps.vals when ps is
// not nil. With allow set, it visits every matching leaf instead, ORs
// their method masks into *allow, and returns -1.
//
// Static children are followed without leaving a frame behind; only a
// node with a param or catch-all child gets one, since only there is
// something left to try. The stack is a fixed array, and New guarantees
// no path through a tree has more such nodes than it holds.
func (t *Tree[T]) search(root *node, path []byte, mk methodKey, ps *Params,
	allow *uint64) (int32, bool) {
	if len(path) > 1<<31-1 {
		return -1, false
	}
	var stack [maxFrames]frame
	top, matched := -1, false
	n, pos, np := root, 0, 0

	// The loop alternates two phases. Descend follows static children
	// from (n, pos) and checks the leaf where the path ends. Backtrack
	// pops frames until one has an untried branch: a param sets (n, pos)
	// and descends again; a catch-all is checked in place. Exits: a leaf
	// accepts the method (return it), or the stack empties (return -1).
descend:
	for {
		// Follow static children as far as they match the path.
		for {
			if n.param != nil || n.catchAll != nil {
				top++
				stack[top] = frame{n: n, pos: int32(pos), np: uint8(np), stage: stageParam}
			}
			if pos == len(path) {
				if n.leaf >= 0 {
					if e := t.pick(n.leaf, mk, allow); e >= 0 {
						return e, true
					}
					matched = true
				}
				break
			}
			c := n.child(path[pos])
			if c == nil || !hasPrefix(path[pos:], c.prefix) {
				break
			}
			n, pos = c, pos+len(c.prefix)
		}

		// Take the next untried branch of the nearest frame: its param,
		// which resumes the descent, or else its catch-all.
		for top >= 0 {
			f := &stack[top]
			fpos := int(f.pos)
			switch f.stage {
			case stageParam:
				f.stage = stageCatchAll
				if f.n.param == nil {
					continue
				}
				end := bytes.IndexByte(path[fpos:], '/')
				if end < 0 {
					end = len(path) - fpos
				}
				if end == 0 {
					continue
				}
				if ps != nil {
					ps.vals[f.np] = path[fpos : fpos+end]
				}
				n, pos, np = f.n.param, fpos+end, int(f.np)+1
				continue descend

			case stageCatchAll:
				f.stage = stageDone
				if f.n.catchAll == nil {
					continue
				}
				if ps != nil {
					ps.vals[f.np] = path[fpos:]
				}
				if e := t.pick(f.n.catchAll.leaf, mk, allow); e >= 0 {
					return e, true
				}
				matched = true

			default:
				top--
			}
		}
		return -1, matched
	}
}

// pick returns the entry of leaf l that accepts the method, or -1. With
// allow set it only records the leaf's methods and returns -1.
func (t *Tree[T]) pick(l int32, mk methodKey, allow *uint64) int32 {
	lf := &t.leaves[l]
	switch {
	case allow != nil:
		*allow |= lf.mask
		return -1
	case lf.any >= 0:
		return lf.any
	case mk.idx >= 0 && lf.by[mk.idx] >= 0:
		return lf.by[mk.idx]
	case mk.alt >= 0:
		return lf.by[mk.alt]
	}
	return -1
}

// hasPrefix reports whether b starts with s, without allocating.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
