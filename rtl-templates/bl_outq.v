// @@P@@_outq: output-stage queue of the conventional baselines (hand-written leaf, shared by the bit-parallel
// and bit-serial arrays). It sits on the tile descriptor stream next to the sequencer: a descriptor is accepted
// when the sequencer's descriptor queue and this queue both have room, and its output fields (relu and the
// index of its output-parameter set) enter this NQ-place queue while its K goes to the sequencer. Place 0 is
// the head, the tile being read out: the read-out addresses the parameter memory with the head's set (out_pset)
// and counts its reads (in_rd); the R*C-th read (NRD) pops the head. Places 1..NQ-1 hold the waiting entries in
// order, from place 1 up; a new entry goes behind them (never straight to the head), and the oldest moves to the
// head when the head is empty or pops. So the head takes only place 1's entry, place k only the new entry or
// place k+1's, the last place only the new entry. An entry reaches
// the head one cycle after it is accepted at the earliest and is read C+5 or more cycles after that. A tile's
// entry lives from its descriptor's acceptance to its last read; NQ (gen/baselines.ts) is large enough that
// with every stream valid the queue never holds back a descriptor. out_t_ready is a function of registers.
module @@P@@_outq #(
    parameter PSW  = 8,   // parameter-set index width
    parameter NQ   = 3,   // queue entries
    parameter QCW  = 2,   // width of the entry count (holds 0..NQ)
    parameter NRD  = 4,   // reads per tile: R*C
    parameter RCW  = 2    // width of the read counter (holds 0..NRD-1)
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               in_t_valid,    // descriptor stream
    output wire               out_t_ready,
    input  wire               in_seq_ready,  // the sequencer's descriptor queue has room
    output wire               out_seq_valid, // descriptor valid towards the sequencer
    input  wire               in_t_relu,
    input  wire [PSW-1:0]     in_t_pset,
    input  wire               in_rd,         // one read of the head tile (from the read-out)
    output wire [PSW-1:0]     out_pset,      // the head entry's parameter set
    output wire               out_relu
);
    localparam EW = 1 + PSW;            // entry: {relu, pset}
    localparam integer   NW  = NQ - 1;
    localparam [QCW-1:0] NQW = NW[QCW-1:0];     // all waiting places full
    localparam integer   LR  = NRD - 1;
    localparam [RCW-1:0] LASTRD = LR[RCW-1:0];

    reg [NQ*EW-1:0] q;                  // place k at index k; place 0 is the head
    reg           v0;                   // the head holds an entry
    reg [QCW-1:0] n1;                   // entries waiting in places 1..NQ-1
    reg [RCW-1:0] rd;                   // reads of the head tile so far

    wire pop  = in_rd & (rd == LASTRD);
    wire mv   = (n1 != {QCW{1'b0}}) & (~v0 | pop);   // place 1's entry moves to the head, the others follow
    wire room = (n1 != NQW) | mv;
    assign out_t_ready   = in_seq_ready & room;
    assign out_seq_valid = in_t_valid & room;
    wire push = in_t_valid & in_seq_ready & room;

    wire [EW-1:0] e_new = {in_t_relu, in_t_pset};
    wire [EW-1:0] head = q[EW-1:0];
    assign out_pset = head[PSW-1:0];
    assign out_relu = head[EW-1];

    // where a pushed entry goes: behind the waiting ones (one place further down when they move)
    wire [QCW-1:0] wpos = mv ? n1 : n1 + 1'b1;
    integer k;
    always @(posedge clk) begin
        if (rst) begin
            q <= {(NQ*EW){1'b0}};
            v0 <= 1'b0;
            n1 <= {QCW{1'b0}};
            rd <= {RCW{1'b0}};
        end else begin
            if (mv) q[EW-1:0] <= q[EW +: EW];
            for (k = 1; k < NQ; k = k + 1) begin
                if (push && {{(32-QCW){1'b0}}, wpos} == k) q[k*EW +: EW] <= e_new;
                // a move leaves the last place's contents stale (n1 says which places hold entries)
                else if (mv && k + 1 < NQ) q[k*EW +: EW] <= q[((k + 1 < NQ) ? k + 1 : k)*EW +: EW];
            end
            if (mv) v0 <= 1'b1;
            else if (pop) v0 <= 1'b0;
            if (push & ~mv) n1 <= n1 + 1'b1;
            else if (mv & ~push) n1 <= n1 - 1'b1;
            if (pop) rd <= {RCW{1'b0}};
            else if (in_rd) rd <= rd + 1'b1;
        end
    end
endmodule
