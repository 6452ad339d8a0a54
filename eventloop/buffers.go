package eventloop

import "github.com/cloudwego/netpoll"

// nodeBytes is the size netpoll gives a connection's first input buffer
// node and the least it gives any buffer node.
//
// netpoll keeps one input and one output node per connection for the
// connection's whole life, idle or not, and v0.7.2 has no call to release
// them. Its defaults are an 8 KiB input node and 4 KiB output nodes; at
// 1 KiB, 5,000 idle keep-alive connections that each got one 1 KiB answer
// cost 6.6 KiB each in RSS instead of 11.8 KiB (5.5 KiB after a 16-byte
// answer; fasthttp.Server with ReduceMemoryUsage: 5.9 KiB). Larger reads
// and writes still get larger nodes: netpoll doubles its read size after
// each full read, and a write gets a node of its own size; after a 64 KiB
// answer the idle cost was 4.5 KiB, so large nodes do not stay behind.
const nodeBytes = 1 << 10

// init shrinks netpoll's buffer nodes. Both settings are process-wide
// variables that netpoll's pollers read without synchronisation, so they
// are set before any goroutine can use netpoll.
//
// TODO: release a connection's input and output nodes and its 1.3 KiB
// write barrier while it is idle, once netpoll offers a call for it; until
// then about 3.5 KiB of each idle connection's cost is netpoll's buffers.
func init() {
	netpoll.LinkBufferCap = nodeBytes
	if err := netpoll.Configure(netpoll.Config{BufferSize: nodeBytes}); err != nil {
		panic("BUG: eventloop: netpoll rejected its buffer size: " + err.Error())
	}
}
