// @@P@@_seq: the array's single sequencer (hand-written leaf, see README "Cycle schedule").
// Three input streams with valid/ready handshakes:
//   tile descriptors (the run-time control registers of one tile: mode, k, d, g, groups, relu, and the index
//   of its output-parameter set), weight slots (one term per column), and data load beats (L values per row).
// Every cycle it issues either a work cycle (one term pair per cell) or a bubble; everything downstream is a
// pure pipeline, so stalls (missing input) never desynchronise the array. With all inputs available the
// schedule is static: a group takes max(k_eff*d_eff, ceil(g/L)+1) cycles, a tile at least LMIN cycles, and a
// new tile (possibly with different control registers) starts the cycle after the previous one ends.
//   conventional mode (mode=0): k_eff = g*TW weight slots, d_eff = TX data terms  -> exact
//   term-revealing mode (mode=1): k_eff = k,     d_eff = d
// With term-by-value cells (TV = 1) a weight slot carries P terms per column and every data value is capped
// at the edge when it is loaded: a group takes ceil(k_eff/P) slots of one cycle each (d_eff = 1), and the cap
// (d in TR mode, TX in conventional mode) goes to the edges with the load beats (out_dmask, below).
// For timing, the head descriptor's control fields are sanitised into registers (hd_*) before use, and the
// counters carry registered "last" flags, so the issue decision is a shallow function of registers.
// Control word out_cw = {lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work} (bit 0 = work).
// out_dmask is the data cap of the last load beat as a thermometer of TX bits per load lane, dmask[j] = (cap > j),
// decoded here once and registered per lane (so it is aligned with out_cw and out_lanes). Lane l's copy loads
// only when lane l is valid in the beat (a lane without a value is not written anywhere), which is what keeps
// the L copies distinct flip-flops: identical copies would be merged by synthesis into one flip-flop driving
// the capper of every lane of every row, a net whose route alone took 4.3-7.5 ns. tp edges do not use it.
module @@P@@_seq #(
    parameter R    = 2,
    parameter C    = 2,
    parameter G    = 8,
    parameter L    = 8,
    parameter BX   = 8,
    parameter TW   = 4,   // max HESE terms of a weight
    parameter TX   = 4,   // max HESE terms of a data value
    parameter KW   = 6,
    parameter DW   = 3,
    parameter GW   = 4,
    parameter NGW  = 10,
    parameter TCW  = 2,
    parameter BCW  = 1,
    parameter WT   = 9,   // weight slot bits per column (one term, or P terms with TV)
    parameter PSW  = 8,   // output-parameter-set index width
    parameter LMIN = 16,
    parameter LMW  = 5,
    parameter CWW  = 19,
    parameter TV   = 0,   // 1: term-by-value cells (slots of P terms, one cycle each, data capped at load)
    parameter P    = 1    // weight terms per slot and column (TV only)
) (
    input  wire                  clk,
    input  wire                  rst,
    // tile descriptor stream
    input  wire                  in_t_valid,
    output wire                  out_t_ready,
    input  wire                  in_t_mode,
    input  wire [KW-1:0]         in_t_k,
    input  wire [DW-1:0]         in_t_d,
    input  wire [GW-1:0]         in_t_g,
    input  wire [NGW-1:0]        in_t_ngroups,
    input  wire                  in_t_relu,
    input  wire [PSW-1:0]        in_t_pset,
    // weight slot stream
    input  wire                  in_w_valid,
    output wire                  out_w_ready,
    input  wire [C*WT-1:0]       in_w_data,
    // data load-beat stream
    input  wire                  in_x_valid,
    output wire                  out_x_ready,
    input  wire [R*L*BX-1:0]     in_x_data,
    // to the array
    output reg  [CWW-1:0]        out_cw,
    output reg  [L*TX-1:0]       out_dmask,
    output reg  [R*L*BX-1:0]     out_lanes,
    output wire [R*L*2*((BX+1)/2)-1:0] out_lanes3, // per lane: NAF nonzero pairs and carries (tv edges)
    output reg  [C*WT-1:0]       out_w,
    // output stage of the tile being read out: its parameter set (the read-out addresses the parameter memory
    // with it) and its relu flag
    output reg  [PSW-1:0]        out_p_pset,
    output reg                   out_p_relu,
    // status
    output reg                   out_err,
    output wire                  out_busy,
    output reg  [31:0]           out_stat_work
);
    // the tv edges' NAF flags, per load lane ahead of the lane register. Per lane it passes on, for every bit
    // pair q of the value, whether the pair holds a nonzero NAF digit (low NP bits) and the NAF carry into bit
    // 2q (high NP bits), so the edge's capper starts from single bits. The carries of x + (x >> 1) are written
    // as majority functions, one LUT per pair, not as an adder: an adder whose sums are not used leaves its
    // carry chain behind, one logic cell per bit with nothing else in it. The carry into bit 0 is 0, so that
    // flag is a constant, not a register.
    localparam NP  = (BX + 1) / 2;
    localparam NP2 = 2 * NP;
    reg [R*L*NP2-1:0] lanes3;
    reg [NP2+1:0]     lx;
    reg [NP2:0]       lk;              // lk[i]: carry into bit i of x + (x >> 1)
    integer ln, lq, li;
    always @(*) begin
        for (ln = 0; ln < R * L; ln = ln + 1) begin
            lx = {{(NP2+2-BX){in_x_data[ln*BX+BX-1]}}, in_x_data[ln*BX +: BX]};
            lk[0] = 1'b0;
            for (li = 0; li < NP2; li = li + 1)
                lk[li+1] = (lx[li] & lx[li+1]) | (lx[li] & lk[li]) | (lx[li+1] & lk[li]);
            for (lq = 0; lq < NP; lq = lq + 1) begin
                lanes3[ln*NP2 + lq]      = (lx[2*lq] ^ lk[2*lq]) | (lx[2*lq+1] ^ lk[2*lq+1]);
                lanes3[ln*NP2 + NP + lq] = lk[2*lq];
            end
        end
    end
    reg  [R*L*NP2-1:0] lanes3_q;
    reg  [R*L*NP2-1:0] lanes3_keep;    // every flag but the constant carry into pair 0
    always @(*) begin
        lanes3_keep = {R*L*NP2{1'b1}};
        for (ln = 0; ln < R * L; ln = ln + 1) lanes3_keep[ln*NP2 + NP] = 1'b0;
    end
    assign out_lanes3 = lanes3_q & lanes3_keep;

    // ---------------- head descriptor (registered copy of the stream head's control fields) ----------------
    // A valid/ready source keeps an offered descriptor valid and stable until it is accepted, so a copy made
    // while it was offered stays right, and hd_v (offered last cycle and not taken) implies in_t_valid: the
    // issue and load decisions read hd_v only, so the descriptor stream's valid lies on neither path.
    wire           g_zero = (in_t_g == {GW{1'b0}});
    wire           g_big  = {{(32-GW){1'b0}}, in_t_g} > G;
    wire           d_zero = (in_t_d == {DW{1'b0}});
    wire           d_big  = {{(32-DW){1'b0}}, in_t_d} > TX;
    wire           k_zero = (in_t_k == {KW{1'b0}});
    wire           n_zero = (in_t_ngroups == {NGW{1'b0}});
    wire [GW-1:0]  s_g  = g_zero ? {{(GW-1){1'b0}}, 1'b1} : g_big ? G[GW-1:0] : in_t_g;
    wire [DW-1:0]  s_d  = d_zero ? {{(DW-1){1'b0}}, 1'b1} : d_big ? TX[DW-1:0] : in_t_d;
    wire [NGW-1:0] s_ng = n_zero ? {{(NGW-1){1'b0}}, 1'b1} : in_t_ngroups;
    // k_eff - 1 with one subtraction: ceil(k/P) - 1 = floor((k - 1)/P) for the slots of a tv group; k - 1 is
    // formed from the raw fields beside their checks (k >= 1 and g >= 1 after sanitising). gt_m1 restates
    // s_g's clamp on purpose: written with s_g the netlist differs and the measured core changes (see README)
    wire [KW-1:0]  k_m1   = k_zero ? {KW{1'b0}} : in_t_k - 1'b1;
    /* verilator lint_off UNUSED */
    wire [31:0]    gt_m1  = (g_zero ? 32'd1 : g_big ? G : {{(32-GW){1'b0}}, in_t_g}) * TW - 1;
    wire [KW-1:0]  s_ktm1 = in_t_mode ? k_m1 : gt_m1[KW-1:0];
    wire [31:0]    s_kpm1 = {{(32-KW){1'b0}}, s_ktm1} / P;   // slots per group - 1 (TV)
    /* verilator lint_on UNUSED */
    wire [DW-1:0]  s_dcap = in_t_mode ? s_d : TX[DW-1:0];
    wire [KW-1:0]  s_kem1 = (TV != 0) ? s_kpm1[KW-1:0] : s_ktm1;
    wire [DW-1:0]  s_deff = (TV != 0) ? {{(DW-1){1'b0}}, 1'b1} : s_dcap;
    reg  [TX-1:0]  s_dmask;
    integer dj;
    always @(*) for (dj = 0; dj < TX; dj = dj + 1) s_dmask[dj] = {{(32-DW){1'b0}}, s_dcap} > dj;

    reg            hd_v;
    reg            hd_bad;
    reg [GW-1:0]   hd_g;
    reg [KW-1:0]   hd_km1;                // k_eff - 1, d_eff - 1, groups - 1: the counters' last values, so
    reg [DW-1:0]   hd_dm1;                // "next == last" needs no adder in the issue loop
    reg [NGW-1:0]  hd_nm1;
    reg [TX-1:0]   hd_dmask;
    reg            hd_t1, hd_j1, hd_n1;   // d_eff == 1, k_eff == 1, ngroups == 1
    reg            hd_all;                // hd_t1 & hd_j1 & hd_n1: the head tile is a single work cycle

    // ---------------- compute side ----------------
    reg            busy;
    reg [KW-1:0]   c_km1;
    reg [DW-1:0]   c_dm1;
    reg [NGW-1:0]  c_nm1;
    reg            c_relu;
    reg            p_load;                // load the read-out parameters (the cycle after a tile's last work cycle)
    reg [PSW-1:0]  c_pset;
    reg [NGW-1:0]  c_grp;
    reg [KW-1:0]   c_j;
    reg [TCW-1:0]  c_t;
    reg            c_tl, c_jl, c_gl;      // the current t / j / group is the last one
    reg            c_all;                 // c_tl & c_jl & c_gl: the next work cycle is the tile's last
    reg            c_t0, c_j0;            // c_t == 0, c_j == 0 (registered, to keep the issue decision shallow)
    reg [LMW-1:0]  since_end;            // cycles since the last tile's last issue, up to LMIN
    localparam [LMW-1:0] LMIN_W  = LMIN;
    localparam [LMW-1:0] LMIN_M1 = (LMIN >= 1) ? LMIN - 1 : 0;
    localparam [LMW-1:0] LMIN_M2 = (LMIN >= 2) ? LMIN - 2 : 0;
    reg            lmin_met;             // since_end >= LMIN-1
    reg            nxt_full;
    // weight slots are taken straight from the stream: out_w_ready is the take decision of this cycle (a
    // combinational function of registers and in_w_valid, so a RAM-backed source such as the board's feeder
    // can read its next word in the same cycle), and no slot is buffered here

    // position of the next work cycle: while idle it is the start of the head tile
    wire t_end  = busy ? c_tl : hd_t1;
    wire j_end  = busy ? c_jl : hd_j1;
    wire g_end  = busy ? c_gl : hd_n1;
    wire is_last = busy ? c_all : hd_all;   // = t_end & j_end & g_end
    wire need_w = c_t0;
    wire need_x = c_t0 & c_j0;
    // the issue decision: everything but the weight stream's valid comes from registers (with kept nets forcing
    // in_w_valid to enter last, measured over five seeds the sequencer's internal loop got longer instead)
    wire iss_rdy = (!need_x || nxt_full) && (!is_last || lmin_met) && (busy || hd_v);
    wire issue   = iss_rdy && (!need_w || in_w_valid);
    wire pop   = issue && !busy;
    wire swap  = issue && need_x;
    wire w_take = issue && need_w;

    assign out_t_ready = pop;
    assign out_w_ready = w_take;

    // next counter values and their "last" flags (compared against the tile's k_eff / d_eff / groups)
    wire [KW-1:0]  km1 = busy ? c_km1 : hd_km1;
    wire [DW-1:0]  dm1 = busy ? c_dm1 : hd_dm1;
    wire [NGW-1:0] nm1 = busy ? c_nm1 : hd_nm1;
    wire [TCW-1:0] t_nx = t_end ? {TCW{1'b0}} : c_t + 1'b1;
    wire [KW-1:0]  j_nx = t_end ? (j_end ? {KW{1'b0}} : c_j + 1'b1) : c_j;
    wire [NGW-1:0] g_nx = (t_end & j_end) ? (g_end ? {NGW{1'b0}} : c_grp + 1'b1) : c_grp;

    // ---------------- loader side ----------------
    reg            ld_act;
    reg            ld_peek_ok;
    reg [GW-1:0]   ld_g;
    reg [NGW-1:0]  ld_nm1;               // groups - 1 of the tile being loaded
    reg [NGW-1:0]  ld_grp;
    reg [BCW-1:0]  ld_beat;
    reg [TX-1:0]   ld_dmask;

    wire           ld_ctx  = ld_act || (ld_peek_ok && hd_v);
    wire [GW-1:0]  lg      = ld_act ? ld_g    : hd_g;
    wire [NGW-1:0] lnm1    = ld_act ? ld_nm1  : hd_nm1;
    wire [NGW-1:0] lgrp    = ld_act ? ld_grp  : {NGW{1'b0}};
    wire [BCW-1:0] lbeat   = ld_act ? ld_beat : {BCW{1'b0}};
    wire [TX-1:0]  lmask   = ld_act ? ld_dmask : hd_dmask;
    // the next-group buffer is refilled from the cycle after a swap (not in the swap cycle itself: keeping
    // the load path independent of the issue decision keeps both short)
    assign out_x_ready = ld_ctx && !nxt_full;
    wire           beat_fire = out_x_ready && in_x_valid;
    // last beat of a group: (beat+1)*L >= g
    wire           beat_last = (({{(32-BCW){1'b0}}, lbeat} + 32'd1) * L) >= {{(32-GW){1'b0}}, lg};
    wire           grp_last  = lgrp == lnm1;

    // lane valid: positions >= g of a partial last beat are not part of the group
    reg [L-1:0] lane_v;
    integer l;
    always @(*) begin
        for (l = 0; l < L; l = l + 1)
            lane_v[l] = ({{(32-BCW){1'b0}}, lbeat} * L + l) < {{(32-GW){1'b0}}, lg};
    end
    // per-lane copies of the beat's cap (see out_dmask above); no reset: a copy is only read with its lane's value
    always @(posedge clk)
        for (l = 0; l < L; l = l + 1) if (lane_v[l]) out_dmask[l*TX +: TX] <= lmask;

    always @(posedge clk) begin
        if (rst) begin
            hd_v <= 1'b0; hd_bad <= 1'b0; hd_g <= {GW{1'b0}}; hd_km1 <= {KW{1'b0}}; hd_dm1 <= {DW{1'b0}}; hd_nm1 <= {NGW{1'b0}}; hd_dmask <= {TX{1'b0}};
            hd_t1 <= 1'b0; hd_j1 <= 1'b0; hd_n1 <= 1'b0; hd_all <= 1'b0;
            busy <= 1'b0;
            c_km1 <= {KW{1'b0}}; c_dm1 <= {DW{1'b0}}; c_nm1 <= {NGW{1'b0}}; c_relu <= 1'b0;
            c_pset <= {PSW{1'b0}};
            c_grp <= {NGW{1'b0}}; c_j <= {KW{1'b0}}; c_t <= {TCW{1'b0}};
            c_tl <= 1'b0; c_jl <= 1'b0; c_gl <= 1'b0; c_all <= 1'b0; c_t0 <= 1'b1; c_j0 <= 1'b1;
            since_end <= LMIN[LMW-1:0];
            lmin_met <= 1'b1;
            nxt_full <= 1'b0;
            ld_act <= 1'b0; ld_peek_ok <= 1'b1;
            ld_g <= {GW{1'b0}}; ld_nm1 <= {NGW{1'b0}}; ld_grp <= {NGW{1'b0}}; ld_beat <= {BCW{1'b0}}; ld_dmask <= {TX{1'b0}};
            out_cw <= {CWW{1'b0}};
            out_lanes <= {R*L*BX{1'b0}};
            lanes3_q <= {R*L*NP2{1'b0}};
            out_w <= {C*WT{1'b0}};
            out_p_pset <= {PSW{1'b0}};
            out_p_relu <= 1'b0;
            p_load <= 1'b0;
            out_err <= 1'b0;
            out_stat_work <= 32'd0;
        end else begin
            // head descriptor copy, refreshed every cycle: valid when the stream showed a descriptor last cycle
            // and it was not popped (a valid/ready source keeps an offered descriptor stable until accepted)
            hd_v <= in_t_valid && !pop;
            begin
                hd_bad <= g_zero | g_big | d_zero | d_big | k_zero | n_zero;
                hd_g <= s_g;
                hd_km1 <= s_kem1;
                hd_dm1 <= s_deff - 1'b1;
                hd_nm1 <= s_ng - 1'b1;
                hd_dmask <= s_dmask;
                hd_t1 <= (s_deff == {{(DW-1){1'b0}}, 1'b1});
                hd_j1 <= (s_kem1 == {KW{1'b0}});
                hd_n1 <= (s_ng == {{(NGW-1){1'b0}}, 1'b1});
                hd_all <= (s_deff == {{(DW-1){1'b0}}, 1'b1}) && (s_kem1 == {KW{1'b0}}) && (s_ng == {{(NGW-1){1'b0}}, 1'b1});
            end

            // a tp slot is held for its d_eff cycles; a tv slot lasts one cycle, so the head is passed on every
            // cycle (no enable on this wide register) and the cells ignore it in a bubble
            if (w_take || TV != 0) out_w <= in_w_data;

            // minimum tile length bookkeeping: lmin_met <=> since_end >= LMIN-1. since_end counts up to LMIN and
            // stays there, so the tests are equalities (LUTs), not comparisons (carry chains with unused sums)
            if (issue && is_last) begin
                since_end <= {LMW{1'b0}};
                lmin_met <= (LMIN <= 1);
            end else if (since_end != LMIN_W) begin
                since_end <= since_end + 1'b1;
                lmin_met <= (LMIN <= 2) || since_end == LMIN_M2 || since_end == LMIN_M1;
            end

            // compute counters
            if (pop) begin
                c_km1 <= hd_km1; c_dm1 <= hd_dm1; c_nm1 <= hd_nm1; c_relu <= in_t_relu;
                c_pset <= in_t_pset;
                if (hd_bad) out_err <= 1'b1;
            end
            if (issue) begin
                out_stat_work <= out_stat_work + 32'd1;
                c_t <= t_nx;
                c_j <= j_nx;
                c_grp <= g_nx;
                c_tl <= {{(32-TCW){1'b0}}, t_nx} == {{(32-DW){1'b0}}, dm1};
                c_jl <= j_nx == km1;
                c_gl <= g_nx == nm1;
                c_all <= ({{(32-TCW){1'b0}}, t_nx} == {{(32-DW){1'b0}}, dm1}) && (j_nx == km1) && (g_nx == nm1);
                c_t0 <= t_end;                      // t_nx == 0
                c_j0 <= t_end ? j_end : c_j0;       // j_nx == 0
                busy <= !is_last;
            end
            // the finished tile's parameter set and relu flag go to the read-out one cycle after its last work cycle,
            // from c_* (a one-cycle tile's descriptor was copied there when it was popped; the next tile's pop
            // overwrites c_* at the end of that cycle at the earliest). They stay until the next tile's last work
            // cycle, at least LMIN cycles later, after the R*C reads.
            p_load <= issue && is_last;
            if (p_load) begin
                out_p_pset <= c_pset;
                out_p_relu <= c_relu;
            end

            // loader
            if (pop) ld_peek_ok <= 1'b1;
            if (beat_fire) begin
                if (!ld_act) begin
                    ld_g <= hd_g;
                    ld_nm1 <= hd_nm1;
                    ld_dmask <= hd_dmask;
                    ld_peek_ok <= 1'b0;
                end
                if (beat_last) begin
                    ld_beat <= {BCW{1'b0}};
                    ld_grp <= grp_last ? {NGW{1'b0}} : lgrp + 1'b1;
                    ld_act <= !grp_last;
                end else begin
                    ld_beat <= lbeat + 1'b1;
                    ld_grp <= lgrp;
                    ld_act <= 1'b1;
                end
                out_lanes <= in_x_data;
                lanes3_q <= lanes3;
            end

            // next-group buffer state: a completed load fills it, a swap empties it
            if (beat_fire && beat_last) nxt_full <= 1'b1;
            if (swap) nxt_full <= 1'b0;

            out_cw <= {lane_v, lbeat, c_t, beat_fire & (lbeat == {BCW{1'b0}}), beat_fire,
                       issue & is_last, pop, swap, issue};
        end
    end

    assign out_busy = busy | ld_act | nxt_full | hd_v;
endmodule
