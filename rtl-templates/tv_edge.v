// @@P@@_edge (cell kind tv): run-time data capper at the left edge of one array row (hand-written leaf).
// Raw signed data values arrive L per load beat. Each is capped to its d most significant HESE (= NAF) terms
// and kept in binary, so a term-by-value cell multiplies a weight term by the whole capped value at once.
// No term list is built. The NAF of x has its carries in the adder x + (x >>> 1): the carry into bit i is
// the NAF carry into digit i, and a nonzero digit sits where (x >>> 1) ^ (x + (x >>> 1)) is set, never two in
// one bit pair (2q+1, 2q). Dropping every digit below bit c leaves (x with bits < c cleared) + carry_c * 2^c.
// The edge cuts at c = 2q, q the lowest pair that still holds one of the d most significant digits.
//   (before the sequencer's lane register: the adder, and per pair its nonzero flag and the carry into it;
//    the cap d is decoded there into a thermometer, which this edge registers next to its capper)
//   E0 (the beat's cycle): the pairs kept for d, the carry at the cut, the bits below the cut replaced by that
//       carry -> registers (so the raw value is not registered a second time)
//   E1: + the carry -> the "next" group buffer
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

    // ---------------- E0: kept pairs, carry at the cut, low bits replaced ----------------
    reg [XV-1:0] e1_tv   [0:L-1];   // the value with every bit below the cut replaced by the carry at the cut
    reg          e1_c    [0:L-1];   // NAF carry into the cut (bit 2q of the lowest kept pair q)
    reg          e1_we, e1_clear;
    reg [BCW-1:0] e1_beat;
    reg [L-1:0]  e1_lv;

    integer l, q, i;
    reg [NP-1:0] pnz, pc;              // pair q holds a nonzero digit; the NAF carry into bit 2q
    reg [NP:0]   above;                // one-hot count of the nonzero pairs above pair q
    reg [NP:0]   dm;                   // thermometer of the cap: dm[j] = (d > j)
    reg [TX-1:0] e0_dmask;             // this edge's copy of the cap, aligned with in_cw
    reg [NP-1:0] keep;                 // pair q holds (or lies above) one of the d most significant digits
    reg          c0;
    reg [XV-1:0] tv0   [0:L-1];
    reg          e0_c  [0:L-1];
    always @(*) begin
        for (q = 0; q <= NP; q = q + 1) dm[q] = (q < TX) ? e0_dmask[(q < TX) ? q : 0] : 1'b0;
        for (l = 0; l < L; l = l + 1) begin
            pnz = in_lanes3[l*2*NP +: NP];
            pc  = in_lanes3[l*2*NP + NP +: NP];
            // keep pair q while fewer than d nonzero pairs lie above it (one-hot count against the thermometer)
            above = {{NP{1'b0}}, 1'b1};
            for (q = NP - 1; q >= 0; q = q - 1) begin
                keep[q] = |(above & dm);
                if (pnz[q]) above = {above[NP-1:0], 1'b0};
            end
            // carry at the cut: the lowest kept pair's (kept pairs are the top ones)
            c0 = 1'b0;
            for (q = 0; q < NP; q = q + 1)
                if (keep[q] && (q == 0 || !keep[(q > 0) ? q - 1 : 0])) c0 = pc[q];
            e0_c[l] = c0;
            tv0[l] = {in_lanes[l*BX + BX - 1], in_lanes[l*BX +: BX]};
            for (i = 0; i < 2 * NP && i < XV; i = i + 1)
                if (!keep[i / 2]) tv0[l][i] = c0;
        end
    end
    always @(posedge clk) begin
        for (l = 0; l < L; l = l + 1) begin
            e1_tv[l] <= tv0[l];
            e1_c[l]  <= e0_c[l];
        end
        if (rst) begin
            e0_dmask <= {TX{1'b0}};
            e1_we <= 1'b0; e1_clear <= 1'b0; e1_beat <= {BCW{1'b0}}; e1_lv <= {L{1'b0}};
        end else begin
            e0_dmask <= in_dmask;
            e1_we <= cw_we; e1_clear <= cw_clear; e1_beat <= cw_beat; e1_lv <= cw_lv;
        end
    end

    // ---------------- E1: the capped value of every lane: + the carry at the cut ----------------
    reg [XV-1:0] cap [0:L-1];
    always @(*) begin
        for (l = 0; l < L; l = l + 1) cap[l] = e1_tv[l] + {{(XV-1){1'b0}}, e1_c[l]};
    end

    // Position j is written in this cycle (wr_en) with lane j % L's capped value (wr_sel) or with 0 (a cleared
    // position, or a lane without a value). The zero comes through nxt's synchronous reset, so nxt's data input
    // is the capper's output itself and the one LUT in front of act (swap copy or bypass) reads only flip-flops
    // and that output: nxt and act each pack into one logic cell per bit. (Written as one "write value"
    // multiplexer shared by nxt and act, that LUT drove both flip-flops and neither could pack with it.)
    reg [G-1:0] wr_en, wr_sel;
    integer j;
    always @(*) begin
        for (j = 0; j < G; j = j + 1) begin
            wr_sel[j] = e1_we && (NB == 1 || j / L == {{(32-BCW){1'b0}}, e1_beat}) && e1_lv[j % L];
            wr_en[j]  = e1_we && (NB == 1 || j / L == {{(32-BCW){1'b0}}, e1_beat} || e1_clear);
        end
    end

    reg [XV-1:0] nxt [0:G-1];
    reg [XV-1:0] act [0:G-1];
    always @(posedge clk) begin
        out_ctl <= rst ? 3'b000 : {cw_last, cw_first, cw_work};
        for (j = 0; j < G; j = j + 1) begin
            if (rst || (wr_en[j] && !wr_sel[j])) nxt[j] <= {XV{1'b0}};
            else if (wr_en[j])                  nxt[j] <= cap[j % L];
            if (rst)         act[j] <= {XV{1'b0}};
            else if (cw_swap) act[j] <= wr_en[j] ? (wr_sel[j] ? cap[j % L] : {XV{1'b0}}) : nxt[j];
        end
    end

    genvar gj;
    generate
        for (gj = 0; gj < G; gj = gj + 1) begin : g_out
            assign out_x[gj*XV +: XV] = act[gj];
        end
    endgenerate
endmodule
