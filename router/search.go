package router

import "bytes"

// frame is one node on the search stack: the node, the path offset just
// past what it matched, the number of parameters captured above it, and
// which of its branches the search tries next.
type frame struct {
	n     *node
	pos   int32
	np    uint8
	stage uint8
}

// Branches of a node, in the order a search tries them; this order is the
// precedence static > param > catch-all.
const (
	stageStatic   = iota // the end of the path, else the static child
	stageParam           // the param child
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
// The stack is a fixed array; New guarantees no tree is deeper than it.
func (t *Tree[T]) search(root *node, path []byte, mk methodKey, ps *Params,
	allow *uint64) (int32, bool) {
	if len(path) > 1<<31-1 {
		return -1, false
	}
	var stack [maxDepth]frame
	stack[0] = frame{n: root}
	top, matched := 0, false

	for top >= 0 {
		f := &stack[top]
		n, pos := f.n, int(f.pos)
		switch f.stage {
		case stageStatic:
			f.stage = stageParam
			if pos == len(path) {
				if n.leaf >= 0 {
					if e := t.pick(n.leaf, mk, allow); e >= 0 {
						return e, true
					}
					matched = true
				}
				continue
			}
			c := n.child(path[pos])
			if c == nil || !hasPrefix(path[pos:], c.prefix) {
				continue
			}
			top++
			stack[top] = frame{n: c, pos: int32(pos + len(c.prefix)), np: f.np}

		case stageParam:
			f.stage = stageCatchAll
			if n.param == nil {
				continue
			}
			end := bytes.IndexByte(path[pos:], '/')
			if end < 0 {
				end = len(path) - pos
			}
			if end == 0 {
				continue
			}
			if ps != nil {
				ps.vals[f.np] = path[pos : pos+end]
			}
			top++
			stack[top] = frame{n: n.param, pos: int32(pos + end), np: f.np + 1}

		case stageCatchAll:
			f.stage = stageDone
			if n.catchAll == nil || n.catchAll.leaf < 0 {
				continue
			}
			if ps != nil {
				ps.vals[f.np] = path[pos:]
			}
			if e := t.pick(n.catchAll.leaf, mk, allow); e >= 0 {
				return e, true
			}
			matched = true

		default:
			top--
		}
	}
	return -1, matched
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
