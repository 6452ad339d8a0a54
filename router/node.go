package router

// node is one vertex of a host's radix tree. A static node matches its
// prefix byte for byte; its static children are keyed by the first byte of
// their prefixes, which differ from each other. A param node matches one
// non-empty segment and a catch-all node the rest of the path; both have
// an empty prefix, and each node has at most one of each. Params and
// catch-alls hang only from nodes whose path so far ends in '/', so they
// always start at a segment boundary.
//
// A node that ends a pattern has a leaf, an index into Tree.leaves, which
// holds the routes for that pattern by method. Nodes are built by insert
// and never change once New returns.
type node struct {
	prefix   string
	indices  []byte
	children []*node
	param    *node
	catchAll *node
	leaf     int32 // -1 when no pattern ends here
}

// newNode returns a node with no leaf.
func newNode(prefix string) *node {
	return &node{prefix: prefix, leaf: -1}
}

// child returns the static child whose prefix starts with c, or nil.
func (n *node) child(c byte) *node {
	for i, b := range n.indices {
		if b == c {
			return n.children[i]
		}
	}
	return nil
}

// insert adds the path of p below root, splitting static nodes where
// prefixes diverge, and returns the node where p ends.
func insert(root *node, p pattern) *node {
	n := root
	for _, pt := range p.parts {
		switch pt.kind {
		case partStatic:
			n = insertStatic(n, pt.text)
		case partParam:
			if n.param == nil {
				n.param = newNode("")
			}
			n = n.param
		case partCatchAll:
			if n.catchAll == nil {
				n.catchAll = newNode("")
			}
			n = n.catchAll
		}
	}
	return n
}

// insertStatic walks s down from n, whose own prefix is already matched,
// and returns the node that ends exactly at the end of s.
func insertStatic(n *node, s string) *node {
walk:
	for s != "" {
		c := n.child(s[0])
		if c == nil {
			c = newNode(s)
			n.indices = append(n.indices, s[0])
			n.children = append(n.children, c)
			return c
		}

		// Split c where its prefix and s part, moving everything c had to
		// a new child that keeps the rest of the prefix.
		k := commonPrefix(c.prefix, s)
		if k < len(c.prefix) {
			rest := *c
			rest.prefix = c.prefix[k:]
			*c = node{
				prefix:   c.prefix[:k],
				indices:  []byte{rest.prefix[0]},
				children: []*node{&rest},
				leaf:     -1,
			}
		}
		n, s = c, s[k:]
		continue walk
	}
	return n
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// depth returns the largest number of nodes with a param or catch-all
// child on a path from n down to a leaf, which is the number of frames a
// search needs, and the leaf at the end of that path.
func (n *node) depth() (int, int32) {
	best, leaf := 0, n.leaf
	for _, c := range [...]*node{n.param, n.catchAll} {
		if c == nil {
			continue
		}
		if d, l := c.depth(); d > best || leaf < 0 {
			best, leaf = d, l
		}
	}
	for _, c := range n.children {
		if d, l := c.depth(); d > best || leaf < 0 {
			best, leaf = d, l
		}
	}
	if n.param != nil || n.catchAll != nil {
		best++
	}
	return best, leaf
}
