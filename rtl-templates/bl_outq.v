// @@P@@_outq: output-stage parameter queue of the conventional baselines (hand-written leaf, shared by the
// bit-parallel and bit-serial arrays). It sits on the tile descriptor stream next to the sequencer: a descriptor
// is accepted when the sequencer's descriptor queue and this queue both have room, and its output fields
// (relu, per-column bias, mul, shift) enter this NQ-place queue while its K goes to the sequencer. Place 0 is
// the head, the tile being read out: the read-out reads column 0 (out_*) and rotates the head by one column per
// read (in_rot: column c takes column c+1's fields, the last column column 0's), so column 0 is always the
// current item's; the R*C-th read (NRD) pops the head instead (its rotations are complete). Places 1..NQ-1
// hold the waiting entries in order, from place 1 up; a new entry goes behind them (never straight to the head),
// and the oldest moves to the head when the head is empty or pops. So the head takes only place 1's entry or its
// own rotation, place k only the new entry or place k+1's, the last place only the new entry. An entry reaches
// the head one cycle after it is accepted at the earliest and is read C+5 or more cycles after that. A tile's
// entry lives from its descriptor's acceptance to its last read; NQ (gen/baselines.ts) is large enough that
// with every stream valid the queue never holds back a descriptor. out_t_ready is a function of registers.
module @@P@@_outq #(
    parameter C    = 2,
    parameter BBW  = 24,
    parameter MBW  = 16,
    parameter SW   = 6,
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
    input  wire [C*BBW-1:0]   in_t_bias,
    input  wire [C*MBW-1:0]   in_t_mul,
    input  wire [C*SW-1:0]    in_t_shift,
    input  wire               in_rot,        // one read of the head tile (from the read-out)
    output wire [BBW-1:0]     out_bias,      // column 0 of the head entry
    output wire [MBW-1:0]     out_mul,
    output wire [SW-1:0]      out_shift,
    output wire               out_relu
);
    localparam FW = BBW + MBW + SW;     // fields of one column
    localparam EW = 1 + C * FW;         // entry: {relu, column C-1 .. column 0}, column c = {shift, mul, bias}
    localparam integer   NW  = NQ - 1;
    localparam [QCW-1:0] NQW = NW[QCW-1:0];     // all waiting places full
    localparam integer   LR  = NRD - 1;
    localparam [RCW-1:0] LASTRD = LR[RCW-1:0];

    reg [NQ*EW-1:0] q;                  // place k at index k; place 0 is the head
    reg           v0;                   // the head holds an entry
    reg [QCW-1:0] n1;                   // entries waiting in places 1..NQ-1
    reg [RCW-1:0] rd;                   // reads of the head tile so far

    wire pop  = in_rot & (rd == LASTRD);
    wire rot  = in_rot & ~pop;
    wire mv   = (n1 != {QCW{1'b0}}) & (~v0 | pop);   // place 1's entry moves to the head, the others follow
    wire room = (n1 != NQW) | mv;
    assign out_t_ready   = in_seq_ready & room;
    assign out_seq_valid = in_t_valid & room;
    wire push = in_t_valid & in_seq_ready & room;

    // the new entry, column c's fields at index c
    reg [EW-1:0] e_new;
    integer c;
    always @(*) begin
        e_new = {EW{1'b0}};
        e_new[EW-1] = in_t_relu;
        for (c = 0; c < C; c = c + 1) begin
            e_new[c*FW +: BBW]            = in_t_bias[c*BBW +: BBW];
            e_new[c*FW + BBW +: MBW]      = in_t_mul[c*MBW +: MBW];
            e_new[c*FW + BBW + MBW +: SW] = in_t_shift[c*SW +: SW];
        end
    end
    // the head rotated by one column (relu stays)
    wire [EW-1:0] head = q[EW-1:0];
    wire [EW-1:0] head_rot;
    generate
        if (C > 1) begin : g_rot
            assign head_rot = {head[EW-1], head[FW-1:0], head[C*FW-1:FW]};
        end else begin : g_norot
            assign head_rot = head;
        end
    endgenerate

    assign out_bias  = head[BBW-1:0];
    assign out_mul   = head[BBW +: MBW];
    assign out_shift = head[BBW + MBW +: SW];
    assign out_relu  = head[EW-1];

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
            else if (rot) q[EW-1:0] <= head_rot;
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
            else if (rot) rd <= rd + 1'b1;
        end
    end
endmodule
