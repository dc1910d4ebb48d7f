// @@P@@_seq: the array's single sequencer (hand-written leaf, see README "Cycle schedule").
// Three input streams with valid/ready handshakes:
//   tile descriptors (the run-time control registers of one tile: mode, k, d, g, groups, relu, per-column
//   output parameters), weight slots (one term per column), and data load beats (L values per row).
// Every cycle it issues either a work cycle (one term pair per cell) or a bubble; everything downstream is a
// pure pipeline, so stalls (missing input) never desynchronise the array. With all inputs available the
// schedule is static: a group takes max(k_eff*d_eff, ceil(g/L)) cycles, a tile at least LMIN cycles, and a
// new tile (possibly with different control registers) starts the cycle after the previous one ends.
//   conventional mode (mode=0): k_eff = g*TW weight slots, d_eff = TX data terms  -> exact
//   term-revealing mode (mode=1): k_eff = k,     d_eff = d
// Control word out_cw = {lane_valid[L], beat, t, ld_clear, ld_we, last, first, swap, work} (bit 0 = work).
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
    parameter WT   = 9,
    parameter BBW  = 24,
    parameter MBW  = 16,  // multiplier width (1 when the design uses pure shifts; the field is then ignored)
    parameter SW   = 6,
    parameter LMIN = 16,
    parameter LMW  = 5,
    parameter CWW  = 19
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
    input  wire [C*BBW-1:0]      in_t_bias,
    input  wire [C*MBW-1:0]      in_t_mul,
    input  wire [C*SW-1:0]       in_t_shift,
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
    output reg  [R*L*BX-1:0]     out_lanes,
    output reg  [C*WT-1:0]       out_w,
    // output-stage parameters of the tile being drained
    output reg  [C*BBW-1:0]      out_p_bias,
    output reg  [C*MBW-1:0]      out_p_mul,
    output reg  [C*SW-1:0]       out_p_shift,
    output reg                   out_p_relu,
    // status
    output reg                   out_err,
    output wire                  out_busy,
    output reg  [31:0]           out_stat_work
);
    // ---------------- head descriptor, sanitised ----------------
    // (compared at 32 bits: when G or TX is the largest value the field holds, the range check is vacuous)
    wire           g_big = {{(32-GW){1'b0}}, in_t_g} > G;
    wire           d_big = {{(32-DW){1'b0}}, in_t_d} > TX;
    wire [GW-1:0]  h_g  = (in_t_g == {GW{1'b0}}) ? {{(GW-1){1'b0}}, 1'b1}
                        : g_big ? G[GW-1:0] : in_t_g;
    wire [DW-1:0]  h_d  = (in_t_d == {DW{1'b0}}) ? {{(DW-1){1'b0}}, 1'b1}
                        : d_big ? TX[DW-1:0] : in_t_d;
    wire [KW-1:0]  h_k  = (in_t_k == {KW{1'b0}}) ? {{(KW-1){1'b0}}, 1'b1} : in_t_k;
    wire [NGW-1:0] h_ng = (in_t_ngroups == {NGW{1'b0}}) ? {{(NGW-1){1'b0}}, 1'b1} : in_t_ngroups;
    wire           h_bad = (in_t_g == {GW{1'b0}}) || g_big || (in_t_d == {DW{1'b0}})
                        || d_big || (in_t_k == {KW{1'b0}}) || (in_t_ngroups == {NGW{1'b0}});
    wire [KW-1:0]  h_gtw  = h_g * TW[KW-1:0];
    wire [KW-1:0]  h_keff = in_t_mode ? h_k : h_gtw;
    wire [DW-1:0]  h_deff = in_t_mode ? h_d : TX[DW-1:0];

    // ---------------- compute side ----------------
    reg            busy;
    reg [KW-1:0]   c_keff;
    reg [DW-1:0]   c_deff;
    reg [NGW-1:0]  c_ng;
    reg            c_relu;
    reg [C*BBW-1:0] c_bias;
    reg [C*MBW-1:0] c_mul;
    reg [C*SW-1:0]  c_shift;
    reg [NGW-1:0]  c_grp;
    reg [KW-1:0]   c_j;
    reg [TCW-1:0]  c_t;
    reg [LMW-1:0]  since_end;
    reg            nxt_full;
    reg [C*WT-1:0] w_buf;
    reg            w_buf_v;

    wire [KW-1:0]  keff = busy ? c_keff : h_keff;
    wire [DW-1:0]  deff = busy ? c_deff : h_deff;
    wire [NGW-1:0] ng   = busy ? c_ng   : h_ng;

    wire t_end  = ({{(32-TCW){1'b0}}, c_t} + 32'd1) == {{(32-DW){1'b0}}, deff};
    wire j_end  = ({{(32-KW){1'b0}}, c_j} + 32'd1) == {{(32-KW){1'b0}}, keff};
    wire g_end  = ({{(32-NGW){1'b0}}, c_grp} + 32'd1) == {{(32-NGW){1'b0}}, ng};
    wire is_last = t_end & j_end & g_end;
    wire need_w = (c_t == {TCW{1'b0}});
    wire need_x = need_w & (c_j == {KW{1'b0}});
    wire lmin_ok = !is_last || ({{(32-LMW){1'b0}}, since_end} >= LMIN - 1);
    wire can_issue = (!need_x || nxt_full) && (!need_w || w_buf_v) && lmin_ok;
    wire issue = can_issue && (busy || in_t_valid);
    wire pop   = issue && !busy;
    wire swap  = issue && need_x;
    wire w_take = issue && need_w;

    assign out_t_ready = !busy && can_issue;
    assign out_w_ready = !w_buf_v || w_take;

    // ---------------- loader side ----------------
    reg            ld_act;
    reg            ld_peek_ok;
    reg [GW-1:0]   ld_g;
    reg [NGW-1:0]  ld_ng;
    reg [NGW-1:0]  ld_grp;
    reg [BCW-1:0]  ld_beat;

    wire           ld_ctx  = ld_act || (ld_peek_ok && in_t_valid);
    wire [GW-1:0]  lg      = ld_act ? ld_g    : h_g;
    wire [NGW-1:0] lng     = ld_act ? ld_ng   : h_ng;
    wire [NGW-1:0] lgrp    = ld_act ? ld_grp  : {NGW{1'b0}};
    wire [BCW-1:0] lbeat   = ld_act ? ld_beat : {BCW{1'b0}};
    wire           nxt_free = !nxt_full || swap;
    assign out_x_ready = ld_ctx && nxt_free;
    wire           beat_fire = out_x_ready && in_x_valid;
    // last beat of a group: (beat+1)*L >= g
    wire           beat_last = (({{(32-BCW){1'b0}}, lbeat} + 32'd1) * L) >= {{(32-GW){1'b0}}, lg};
    wire           grp_last  = ({{(32-NGW){1'b0}}, lgrp} + 32'd1) == {{(32-NGW){1'b0}}, lng};

    // lane valid: positions >= g of a partial last beat are not part of the group
    reg [L-1:0] lane_v;
    integer l;
    always @(*) begin
        for (l = 0; l < L; l = l + 1)
            lane_v[l] = ({{(32-BCW){1'b0}}, lbeat} * L + l) < {{(32-GW){1'b0}}, lg};
    end

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            c_keff <= {KW{1'b0}}; c_deff <= {DW{1'b0}}; c_ng <= {NGW{1'b0}}; c_relu <= 1'b0;
            c_bias <= {C*BBW{1'b0}}; c_mul <= {C*MBW{1'b0}}; c_shift <= {C*SW{1'b0}};
            c_grp <= {NGW{1'b0}}; c_j <= {KW{1'b0}}; c_t <= {TCW{1'b0}};
            since_end <= LMIN[LMW-1:0];
            nxt_full <= 1'b0;
            w_buf <= {C*WT{1'b0}}; w_buf_v <= 1'b0;
            ld_act <= 1'b0; ld_peek_ok <= 1'b1;
            ld_g <= {GW{1'b0}}; ld_ng <= {NGW{1'b0}}; ld_grp <= {NGW{1'b0}}; ld_beat <= {BCW{1'b0}};
            out_cw <= {CWW{1'b0}};
            out_lanes <= {R*L*BX{1'b0}};
            out_w <= {C*WT{1'b0}};
            out_p_bias <= {C*BBW{1'b0}}; out_p_mul <= {C*MBW{1'b0}}; out_p_shift <= {C*SW{1'b0}};
            out_p_relu <= 1'b0;
            out_err <= 1'b0;
            out_stat_work <= 32'd0;
        end else begin
            // weight slot buffer
            if (in_w_valid && out_w_ready) begin
                w_buf <= in_w_data;
                w_buf_v <= 1'b1;
            end else if (w_take) begin
                w_buf_v <= 1'b0;
            end
            if (w_take) out_w <= w_buf;

            // minimum tile length bookkeeping
            if (issue && is_last) since_end <= {LMW{1'b0}};
            else if ({{(32-LMW){1'b0}}, since_end} < LMIN) since_end <= since_end + 1'b1;

            // compute counters
            if (pop) begin
                c_keff <= h_keff; c_deff <= h_deff; c_ng <= h_ng; c_relu <= in_t_relu;
                c_bias <= in_t_bias; c_mul <= in_t_mul; c_shift <= in_t_shift;
                if (h_bad) out_err <= 1'b1;
            end
            if (issue) begin
                out_stat_work <= out_stat_work + 32'd1;
                if (t_end) begin
                    c_t <= {TCW{1'b0}};
                    if (j_end) begin
                        c_j <= {KW{1'b0}};
                        c_grp <= g_end ? {NGW{1'b0}} : c_grp + 1'b1;
                    end else begin
                        c_j <= c_j + 1'b1;
                    end
                end else begin
                    c_t <= c_t + 1'b1;
                end
                busy <= !is_last;
                if (is_last) begin
                    out_p_bias  <= busy ? c_bias  : in_t_bias;
                    out_p_mul   <= busy ? c_mul   : in_t_mul;
                    out_p_shift <= busy ? c_shift : in_t_shift;
                    out_p_relu  <= busy ? c_relu  : in_t_relu;
                end
            end

            // loader
            if (pop) ld_peek_ok <= 1'b1;
            if (beat_fire) begin
                if (!ld_act) begin
                    ld_g <= h_g;
                    ld_ng <= h_ng;
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
            end

            // next-group buffer state: a swap empties it, a completed load fills it (same cycle: filled)
            if (swap) nxt_full <= 1'b0;
            if (beat_fire && beat_last) nxt_full <= 1'b1;

            out_cw <= {lane_v, lbeat, c_t, beat_fire & (lbeat == {BCW{1'b0}}), beat_fire,
                       issue & is_last, pop, swap, issue};
        end
    end

    assign out_busy = busy | ld_act | nxt_full;
endmodule
