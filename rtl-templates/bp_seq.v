// @@P@@_seq: sequencer of the bit-parallel MAC baseline (hand-written leaf; see gen/baselines.ts for the schedule).
// Streams with valid/ready:
//   tile descriptor  in_t_k: the tile's reduction length K (1..KMAX; 0 or > KMAX is clamped and sets out_err)
//   weight beat      in_w_data: weight k of every column (C x BW bits, column 0 in the low bits)
//   data beat        in_x_data: value k of every row     (R x BX bits, row 0 in the low bits)
// One MAC step per cycle: step k pops one weight beat and one data beat together (joint handshake: both
// readies are high only in a cycle where both valids are high and a step issues). The control word
// out_cw = {last, first, work} travels with the data through the array. Descriptors wait in a two-entry queue
// (out_t_ready is a register); a tile starts from the queue head when no tile is active or in the cycle the
// current tile's last step issues, so tiles follow each other with no lost cycle. The first descriptor after
// reset is queued in cycle 0 and started in cycle 1: the first step issues in cycle 2. A tile's last step may
// not issue sooner than SP = R*C cycles after the previous tile's last step (the read-out emits one of the tile's
// R*C results per cycle), so a tile takes max(K, R*C) cycles. The issue decision depends only on registered flags and the
// two valids.
module @@P@@_seq #(
    parameter R    = 2,
    parameter C    = 2,
    parameter BX   = 8,
    parameter BW   = 8,
    parameter KW   = 10,    // width of the K field
    parameter KMAX = 1024,  // design maximum K
    parameter SP   = 4,     // minimum spacing of tile-end steps: R*C (the read-out emits one result per cycle)
    parameter SCW  = 3      // width of the last-step spacing counter (holds 0..SP)
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               in_t_valid,
    output wire               out_t_ready,
    input  wire [KW-1:0]      in_t_k,
    input  wire               in_w_valid,
    output wire               out_w_ready,
    input  wire [C*BW-1:0]    in_w_data,
    input  wire               in_x_valid,
    output wire               out_x_ready,
    input  wire [R*BX-1:0]    in_x_data,
    output reg  [2:0]         out_cw,     // {last, first, work}
    output reg  [R*BX-1:0]    out_x,
    output reg  [C*BW-1:0]    out_w,
    output reg                out_err,
    output wire               out_busy,
    output reg  [31:0]        out_stat_work
);
    localparam [KW-1:0]  KMAXW = KMAX[KW-1:0];
    localparam [KW-1:0]  K1    = {{(KW-1){1'b0}}, 1'b1};
    localparam [SCW-1:0] RS    = SP[SCW-1:0];

    // ---- tile descriptors: a two-entry queue of sanitised descriptors {bad, K == 1, K}, so out_t_ready is a
    // register and the next tile's descriptor is at the head when the current tile ends (zero lost cycles) ----
    wire          k_zero = (in_t_k == {KW{1'b0}});
    wire          k_big  = ({{(32-KW){1'b0}}, in_t_k} > KMAX);
    wire [KW+1:0] d_new  = {k_zero | k_big, k_zero | (in_t_k == K1) | (k_big & (KMAX == 1)), k_zero ? K1 : k_big ? KMAXW : in_t_k};
    reg  [KW+1:0] dq0, dq1;    // dq0 is the head
    reg  [1:0]    dcnt;
    wire          dhv = (dcnt != 2'd0);
    assign out_t_ready = ~dcnt[1];
    wire t_fire = in_t_valid & ~dcnt[1];

    // ---- issue state (registers) ----
    reg           act;     // a tile is being issued
    reg [KW-1:0]  rem;     // MAC steps left, including the next one
    reg           lastp;   // (rem == 1): the next step is the tile's last
    reg           first;   // the next step is the tile's first
    reg [SCW-1:0] since;   // cycles since the last tile-end step (saturates at SP)
    reg           spok;    // (since == SP): a tile-end step may issue
    reg           go;      // act & (~lastp | spok), precomputed: the next step may issue once its data is there

    // the issue decision: one registered flag and the two valids
    wire issue = go & in_x_valid & in_w_valid;
    wire tend  = issue & lastp;
    wire take  = (~act | tend) & dhv;   // start the head tile
    assign out_w_ready = issue;
    assign out_x_ready = issue;
    assign out_busy    = act;

    // ---- next state ----
    reg           act_n, lastp_n, first_n, spok_n;
    reg [KW-1:0]  rem_n;
    reg [SCW-1:0] since_n;
    always @(*) begin
        act_n = act;
        rem_n = rem;
        lastp_n = lastp;
        first_n = first;
        if (take) begin
            act_n = 1'b1;
            rem_n = dq0[KW-1:0];
            lastp_n = dq0[KW];
            first_n = 1'b1;
        end else if (tend) begin
            act_n = 1'b0;
        end else if (issue) begin
            rem_n = rem - 1'b1;
            lastp_n = (rem == K1 + K1);
            first_n = 1'b0;
        end
        since_n = since;
        spok_n = spok;
        if (tend) begin
            since_n = {{(SCW-1){1'b0}}, 1'b1};
            spok_n = (SP == 1);
        end else if (!spok) begin
            since_n = since + 1'b1;
            spok_n = (since + 1'b1 == RS);
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            dq0 <= {(KW+2){1'b0}};
            dq1 <= {(KW+2){1'b0}};
            dcnt <= 2'd0;
            act <= 1'b0;
            rem <= {KW{1'b0}};
            lastp <= 1'b0;
            first <= 1'b0;
            since <= RS;
            spok <= 1'b1;
            go <= 1'b0;
            out_cw <= 3'b000;
            out_x <= {(R*BX){1'b0}};
            out_w <= {(C*BW){1'b0}};
            out_err <= 1'b0;
            out_stat_work <= 32'd0;
        end else begin
            if (take) dq0 <= dq1;
            if (t_fire) begin
                if (dcnt == 2'd0 || (dcnt == 2'd1 && take)) dq0 <= d_new;
                else dq1 <= d_new;
            end
            if (t_fire & ~take) dcnt <= dcnt + 2'd1;
            else if (take & ~t_fire) dcnt <= dcnt - 2'd1;
            act <= act_n;
            rem <= rem_n;
            lastp <= lastp_n;
            first <= first_n;
            since <= since_n;
            spok <= spok_n;
            go <= act_n & (~lastp_n | spok_n);
            if (take & dq0[KW+1]) out_err <= 1'b1;
            out_cw <= {tend, issue & first, issue};
            // data and weights are registered every cycle (no enable): the cells ignore them unless work is set
            out_x <= in_x_data;
            out_w <= in_w_data;
            if (issue) out_stat_work <= out_stat_work + 32'd1;
        end
    end
endmodule
