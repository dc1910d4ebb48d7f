// @@P@@_edge (cell kind tv): run-time data capper at the left edge of one array row (hand-written leaf).
// Raw signed data values arrive L per load beat. Each is capped to its d most significant HESE (= NAF) terms
// and kept in binary, so a term-by-value cell multiplies a weight term by the whole capped value at once.
// No term list is built. The NAF of x has its carries in the adder x + (x >>> 1): the carry into bit i is
// the NAF carry into digit i, and a nonzero digit sits where (x >>> 1) ^ (x + (x >>> 1)) is set, never two in
// one bit pair (2q+1, 2q). Dropping every digit below bit c leaves (x with bits < c cleared) + carry_c * 2^c.
// The edge cuts at c = 2q, q the lowest pair that still holds one of the d most significant digits.
//   (before the sequencer's lane register: the adder, and per pair its nonzero flag and the carry into it;
//    the cap d is decoded there into a thermometer, which this edge registers next to its capper)
//   E0 (the beat's cycle): the pairs kept for d, the carry at the cut -> registers
//   E1: low bits replaced by the carry, + carry -> the "next" group buffer
// A swap copies next -> active at a group boundary (double buffering, so loading overlaps compute); a beat
// still in E1 in the swap cycle is copied straight through (bypass), so the two-stage load needs no extra
// cycle in the schedule. Positions past g, or not written by this group's beats, hold 0.
// Every cell of the row reads the active group (out_x) and the control bits aligned with it (out_ctl).
// Control word in_cw (from the sequencer, the same cycle in every row): see @@P@@_seq.
module @@P@@_edge #(
    parameter G   = 8,   // values per group (design maximum)
    parameter L   = 8,   // load lanes (values per beat)
    parameter BX  = 8,   // data bit width
    parameter TX  = 4,   // width of the cap thermometer dmask (dmask[j] = d > j)
    parameter TCW = 1,   // width of the term index t (unused here: a tv group has one step per weight slot)
    parameter BCW = 1,   // width of the beat index
    parameter CWW = 17   // control word width = 6 + TCW + BCW + L
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [CWW-1:0]       in_cw,    // {lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work}
    input  wire [TX-1:0]        in_dmask, // cap of the beat the sequencer sends in this cycle (dmask[j] = d > j)
    input  wire [L*BX-1:0]      in_lanes, // raw values of this row for the load beat (two's complement)
    input  wire [L*2*((BX+1)/2)-1:0] in_lanes3, // per lane: {carry into pair q [NP], pair q nonzero [NP]} (from the sequencer)
    output wire [G*(BX+1)-1:0]  out_x,    // active group: capped values (BX+1 bits signed), position 0 low
    output reg  [2:0]           out_ctl   // {last, first, work} of the work cycle that reads out_x
);
    localparam XV = BX + 1;            // capped value width (a capped 2^(BX-1)-1 can be 2^(BX-1))
    localparam NP = (BX + 1) / 2;      // bit pairs holding the digits
    localparam NB = (G + L - 1) / L;   // beats per full group

    wire           cw_work  = in_cw[0];
    wire           cw_swap  = in_cw[1];
    wire           cw_first = in_cw[2];
    wire           cw_last  = in_cw[3];
    wire           cw_we    = in_cw[4];
    wire           cw_clear = in_cw[5];
    wire [BCW-1:0] cw_beat  = in_cw[6 + TCW +: BCW];
    wire [L-1:0]   cw_lv    = in_cw[6 + TCW + BCW +: L];
    /* verilator lint_off UNUSED */
    wire [TCW-1:0] unused_t = in_cw[6 +: TCW];
    /* verilator lint_on UNUSED */

    // ---------------- E0: kept pairs, carry at the cut ----------------
    reg [BX-1:0] e1_x    [0:L-1];
    reg [NP-1:0] e1_keep [0:L-1];   // pair q holds (or lies above) one of the d most significant digits
    reg          e1_c    [0:L-1];   // NAF carry into the cut (bit 2q of the lowest kept pair q)
    reg          e1_we, e1_clear;
    reg [BCW-1:0] e1_beat;
    reg [L-1:0]  e1_lv;

    integer l, q;
    reg [NP-1:0] pnz, pc;              // pair q holds a nonzero digit; the NAF carry into bit 2q
    reg [NP:0]   above;                // one-hot count of the nonzero pairs above pair q
    reg [NP:0]   dm;                   // thermometer of the cap: dm[j] = (d > j)
    reg [TX-1:0] e0_dmask;             // this edge's copy of the cap, aligned with in_cw
    reg [NP-1:0] e0_keep [0:L-1];
    reg          e0_c    [0:L-1];
    always @(*) begin
        for (q = 0; q <= NP; q = q + 1) dm[q] = (q < TX) ? e0_dmask[(q < TX) ? q : 0] : 1'b0;
        for (l = 0; l < L; l = l + 1) begin
            pnz = in_lanes3[l*2*NP +: NP];
            pc  = in_lanes3[l*2*NP + NP +: NP];
            // keep pair q while fewer than d nonzero pairs lie above it (one-hot count against the thermometer)
            above = {{NP{1'b0}}, 1'b1};
            for (q = NP - 1; q >= 0; q = q - 1) begin
                e0_keep[l][q] = |(above & dm);
                if (pnz[q]) above = {above[NP-1:0], 1'b0};
            end
            // carry at the cut: the lowest kept pair's (kept pairs are the top ones)
            e0_c[l] = 1'b0;
            for (q = 0; q < NP; q = q + 1)
                if (e0_keep[l][q] && (q == 0 || !e0_keep[l][(q > 0) ? q - 1 : 0])) e0_c[l] = pc[q];
        end
    end
    always @(posedge clk) begin
        for (l = 0; l < L; l = l + 1) begin
            e1_x[l]    <= in_lanes[l*BX +: BX];
            e1_keep[l] <= e0_keep[l];
            e1_c[l]    <= e0_c[l];
        end
        if (rst) begin
            e0_dmask <= {TX{1'b0}};
            e1_we <= 1'b0; e1_clear <= 1'b0; e1_beat <= {BCW{1'b0}}; e1_lv <= {L{1'b0}};
        end else begin
            e0_dmask <= in_dmask;
            e1_we <= cw_we; e1_clear <= cw_clear; e1_beat <= cw_beat; e1_lv <= cw_lv;
        end
    end

    // ---------------- E1: the capped value of every lane ----------------
    reg [XV-1:0] cap [0:L-1];
    reg [XV-1:0] tv;
    reg          carry;
    integer i;
    always @(*) begin
        for (l = 0; l < L; l = l + 1) begin

            carry = e1_c[l];
            tv = {e1_x[l][BX-1], e1_x[l]};
            for (i = 0; i < 2 * NP && i < XV; i = i + 1)
                if (!e1_keep[l][i / 2]) tv[i] = carry;
            cap[l] = tv + {{(XV-1){1'b0}}, carry};
        end
    end

    // write of this cycle into position j (also what a swap in this cycle copies)
    reg [XV-1:0] wr_val [0:G-1];
    reg [G-1:0]  wr_en;
    integer j;
    always @(*) begin
        for (j = 0; j < G; j = j + 1) begin
            wr_en[j] = 1'b0;
            wr_val[j] = {XV{1'b0}};
            if (e1_we) begin
                if (NB == 1 || j / L == {{(32-BCW){1'b0}}, e1_beat}) begin
                    wr_en[j] = 1'b1;
                    if (e1_lv[j % L]) wr_val[j] = cap[j % L];
                end else if (e1_clear) begin
                    wr_en[j] = 1'b1;
                end
            end
        end
    end

    reg [XV-1:0] nxt [0:G-1];
    reg [XV-1:0] act [0:G-1];
    always @(posedge clk) begin
        if (rst) begin
            out_ctl <= 3'b000;
            for (j = 0; j < G; j = j + 1) begin
                nxt[j] <= {XV{1'b0}};
                act[j] <= {XV{1'b0}};
            end
        end else begin
            out_ctl <= {cw_last, cw_first, cw_work};
            for (j = 0; j < G; j = j + 1) begin
                if (wr_en[j]) nxt[j] <= wr_val[j];
                if (cw_swap) act[j] <= wr_en[j] ? wr_val[j] : nxt[j];
            end
        end
    end

    genvar gj;
    generate
        for (gj = 0; gj < G; gj = gj + 1) begin : g_out
            assign out_x[gj*XV +: XV] = act[gj];
        end
    endgenerate
endmodule
