// @@P@@_edge (cell kind tv): run-time data capper at the left edge of one array row (hand-written leaf).
// Raw signed data values arrive L per load beat. Each is capped to its d most significant HESE (= NAF) terms
// and kept in binary, so a term-by-value cell multiplies a weight term by the whole capped value at once.
// No term list is built. The NAF of x has its carries in the adder x + (x >>> 1): the carry into bit i is
// the NAF carry into digit i, and a nonzero digit sits where (x >>> 1) ^ (x + (x >>> 1)) is set, never two in
// one bit pair (2q+1, 2q). Dropping every digit below bit c leaves (x with bits < c cleared) + carry_c * 2^c.
// The edge cuts at c = 2q, q the lowest pair that still holds one of the d most significant digits.
//   (before the sequencer's lane register: the adder, and per pair its nonzero flag and the carry into it;
//    the cap d is decoded there into a thermometer and registered per load lane, in step with in_lanes)
//   E0 (the beat's cycle): the pairs kept for d -> registers: the value with the bits below the cut cleared,
//       and the carry at the cut as a one-hot addend (pair q's carry where q is the lowest kept pair), so E0 is
//       the keep test and one gate, and the raw value is not registered a second time
//   E1: + the addend (a plain two-operand adder, both operands flip-flops) -> the "next" group buffer
// A swap copies next -> active at a group boundary (double buffering, so loading overlaps compute); a beat
// still in E1 in the swap cycle is copied straight through (bypass), so the two-stage load needs no extra
// cycle in the schedule. Positions past g, or not written by this group's beats, hold 0.
// Every cell of the row reads the active group (out_x) and the control bits aligned with it (out_ctl).
// Control word in_cw (from the sequencer, the same cycle in every row): see @@P@@_seq.
module @@P@@_edge #(
    parameter G   = 8,   // values per group (design maximum)
    parameter L   = 8,   // load lanes (values per beat)
    parameter BX  = 8,   // data bit width
    parameter TX  = 4,   // width of a lane's cap thermometer dmask (dmask[j] = d > j)
    parameter TCW = 1,   // width of the term index t (unused here: a tv group has one step per weight slot)
    parameter BCW = 1,   // width of the beat index
    parameter CWW = 17   // control word width = 6 + TCW + BCW + L
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [CWW-1:0]       in_cw,    // {lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work}
    input  wire [L*TX-1:0]      in_dmask, // per lane: cap of the beat in in_lanes (dmask[j] = d > j), registered by the sequencer
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

    // ---------------- E0: kept pairs; the value with the bits below the cut cleared; the carry at the cut ----
    // Dropping every NAF digit below bit c = 2q (q the lowest kept pair) leaves (x with bits < c cleared) +
    // carry_c * 2^c, so the capped value is xm + add, add holding pair q's carry at bit 2q and zeros elsewhere.
    reg [XV-1:0] e1_xm   [0:L-1];   // the value with every bit below the cut cleared
    reg [NP-1:0] e1_add  [0:L-1];   // add[q]: the carry into bit 2q where q is the lowest kept pair, else 0
    // Position j is written in E1 (wr_en) with lane j % L's capped value (wr_sel), or with 0 (wr_zero = !wr_sel:
    // a cleared position, or a lane without a value). They are decoded from the control word here in E0 and
    // registered per position, so nxt's enable and synchronous reset are flip-flops (a position's nine bits sit
    // far apart, next to the row's cells, and a LUT in front of their enable or reset put its route on the
    // critical path). wr_sel and wr_zero are the same decision twice on purpose: see act below.
    reg [G-1:0]  wr_en, wr_zero, wr_sel;

    integer l, q, i, j;
    reg [NP-1:0] pnz, pc;              // pair q holds a nonzero digit; the NAF carry into bit 2q
    reg [NP:0]   above;                // one-hot count of the nonzero pairs above pair q
    reg [NP:0]   dm;                   // thermometer of the cap: dm[j] = (d > j)
    reg [NP-1:0] keep;                 // pair q holds (or lies above) one of the d most significant digits
    reg [XV-1:0] xm0   [0:L-1];
    reg [NP-1:0] add0  [0:L-1];
    always @(*) begin
        for (l = 0; l < L; l = l + 1) begin
            for (q = 0; q <= NP; q = q + 1) dm[q] = (q < TX) ? in_dmask[l*TX + ((q < TX) ? q : 0)] : 1'b0;
            pnz = in_lanes3[l*2*NP +: NP];
            pc  = in_lanes3[l*2*NP + NP +: NP];
            // keep pair q while fewer than d nonzero pairs lie above it (one-hot count against the thermometer)
            above = {{NP{1'b0}}, 1'b1};
            for (q = NP - 1; q >= 0; q = q - 1) begin
                keep[q] = |(above & dm);
                if (pnz[q]) above = {above[NP-1:0], 1'b0};
            end
            // the carry at the cut, at the lowest kept pair (kept pairs are the top ones)
            for (q = 0; q < NP; q = q + 1)
                add0[l][q] = pc[q] && keep[q] && (q == 0 || !keep[(q > 0) ? q - 1 : 0]);
            xm0[l] = {in_lanes[l*BX + BX - 1], in_lanes[l*BX +: BX]};
            for (i = 0; i < 2 * NP && i < XV; i = i + 1)
                if (!keep[i / 2]) xm0[l][i] = 1'b0;
        end
    end
    always @(posedge clk) begin
        for (l = 0; l < L; l = l + 1) begin
            e1_xm[l]  <= xm0[l];
            e1_add[l] <= add0[l];
        end
        for (j = 0; j < G; j = j + 1) begin
            wr_en[j]   <= !rst && cw_we && (NB == 1 || j / L == {{(32-BCW){1'b0}}, cw_beat} || cw_clear);
            wr_zero[j] <= !(cw_we && (NB == 1 || j / L == {{(32-BCW){1'b0}}, cw_beat}) && cw_lv[j % L]);
            wr_sel[j]  <=   cw_we && (NB == 1 || j / L == {{(32-BCW){1'b0}}, cw_beat}) && cw_lv[j % L];
        end
    end

    // ---------------- E1: the capped value of every lane: + the carry at the cut ----------------
    reg [XV-1:0] cap [0:L-1];
    reg [XV-1:0] addv;
    always @(*) begin
        for (l = 0; l < L; l = l + 1) begin
            addv = {XV{1'b0}};
            for (q = 0; q < NP; q = q + 1) if (2 * q < XV) addv[2*q] = e1_add[l][q];
            cap[l] = e1_xm[l] + addv;
        end
    end

    // nxt: the zero comes through its synchronous reset (which an iCE40 flip-flop applies only when enabled),
    // so nxt's data input is the capper's output itself and the one LUT in front of act (swap copy or bypass)
    // reads only flip-flops and that output: nxt and act each pack into one logic cell per bit. (Written as one
    // "write value" multiplexer shared by nxt and act, that LUT drove both flip-flops and neither could pack.)
    // act's bypass selects with wr_sel, nxt zeroes with wr_zero: written with the same signal, act's input
    // (the value nxt takes in this cycle) is nxt's own next-state multiplexer, synthesis merges the two, nxt
    // loses its enable and reset pins, and the one LUT drives both flip-flops, so neither packs (144 logic cells
    // per edge at G = 8). No reset on either: the first beat of every group writes every position of nxt (all
    // lanes when a group is one beat, else the clearing first beat), and every swap loads act whole, the first
    // swap coming before the first work cycle (the cells ignore their data outside work cycles).

    reg [XV-1:0] nxt [0:G-1];
    reg [XV-1:0] act [0:G-1];
    always @(posedge clk) begin
        out_ctl <= rst ? 3'b000 : {cw_last, cw_first, cw_work};
        for (j = 0; j < G; j = j + 1) begin
            if (wr_en[j]) nxt[j] <= wr_zero[j] ? {XV{1'b0}} : cap[j % L];
            if (cw_swap)  act[j] <= wr_en[j] ? (wr_sel[j] ? cap[j % L] : {XV{1'b0}}) : nxt[j];
        end
    end

    genvar gj;
    generate
        for (gj = 0; gj < G; gj = gj + 1) begin : g_out
            assign out_x[gj*XV +: XV] = act[gj];
        end
    endgenerate
endmodule
