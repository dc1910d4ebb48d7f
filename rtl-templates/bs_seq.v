// @@P@@_seq: sequencer and weight serializer of the bit-serial baseline (hand-written leaf; see gen/baselines.ts
// for the schedule). Streams with valid/ready:
//   tile descriptor  in_t_k: the tile's reduction length K (1..KMAX; 0 or > KMAX is clamped and sets out_err)
//   weight beat      in_w_data: whole weight k of every column (C x BW bits, column 0 in the low bits)
//   data beat        in_x_data: value k of every row          (R x BX bits, row 0 in the low bits)
// A MAC takes BW steps, one per cycle: step i sends bit i of every column's weight (LSB first) down the array;
// the data value is held (the row edge shifts it: x << i). Step 0 pops one weight beat and one data beat
// together (joint handshake); the other steps need no input. The weight serializer is a per-column shift
// register. Control word out_cw = {load, neg, last, first, work}: load = step 0 (the edge takes a new value),
// neg = step BW-1 (the two's-complement MSB: subtract). Descriptors wait in a two-entry queue (out_t_ready is a
// register); a tile starts from the queue head when no tile is active or in the cycle the current tile's last
// step issues (no lost cycle). The first descriptor after reset is queued in cycle 0 and started in cycle 1:
// the first step issues in cycle 2. A tile's last step may not issue sooner than SP = R*C cycles after the
// previous tile's last step (the read-out emits one of the tile's R*C results per cycle): a tile takes
// max(K*BW, R*C) cycles. The bit step
// is a one-hot ring and the "last step" flag a register, so the issue decision is shallow.
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
    output reg  [4:0]         out_cw,     // {load, neg, last, first, work}
    output reg  [R*BX-1:0]    out_x,      // data values, valid with load
    output reg  [C-1:0]       out_wb,     // weight bit of every column
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
    reg             act;     // a tile is being issued
    reg [KW-1:0]    rem;     // MACs left, including the current one
    reg             remz;    // (rem == 1): the current MAC is the tile's last
    reg [BW-1:0]    ph;      // one-hot bit step of the next step (ph[i]: step i)
    reg             lastp;   // the next step is the tile's last (step BW-1 of its last MAC)
    reg             first;   // the next step is the tile's first
    reg [SCW-1:0]   since;   // cycles since the last tile-end step (saturates at SP)
    reg             spok;    // (since == SP): a tile-end step may issue
    reg             go;      // act & (~lastp | spok), precomputed
    reg [C*(BW-1)-1:0] wsh;  // per column: the weight bits still to send, next one at the bottom

    // the issue decision: registered flags and the two valids (needed at step 0 only)
    wire step0 = ph[0];
    wire stepl = ph[BW-1];
    wire issue = go & (~step0 | (in_x_valid & in_w_valid));
    wire pop   = issue & step0;
    wire tend  = issue & lastp;
    wire take  = (~act | tend) & dhv;   // start the head tile
    assign out_w_ready = pop;
    assign out_x_ready = pop;
    assign out_busy    = act;

    // ---- next state ----
    reg             act_n, remz_n, lastp_n, first_n, spok_n;
    reg [KW-1:0]    rem_n;
    reg [BW-1:0]    ph_n;
    reg [SCW-1:0]   since_n;
    always @(*) begin
        act_n = act;
        rem_n = rem;
        remz_n = remz;
        lastp_n = lastp;
        first_n = first;
        ph_n = issue ? {ph[BW-2:0], ph[BW-1]} : ph;
        if (take) begin
            act_n = 1'b1;
            rem_n = dq0[KW-1:0];
            remz_n = dq0[KW];
            lastp_n = 1'b0;                 // the next step is step 0 (BW >= 2)
            first_n = 1'b1;
        end else if (tend) begin
            act_n = 1'b0;
            lastp_n = 1'b0;
        end else if (issue) begin
            if (stepl) begin
                rem_n = rem - 1'b1;
                remz_n = (rem == K1 + K1);
                lastp_n = 1'b0;
            end else begin
                lastp_n = ph[BW-2] & remz;  // the next step is step BW-1 of the last MAC
            end
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

    integer c;
    always @(posedge clk) begin
        if (rst) begin
            dq0 <= {(KW+2){1'b0}};
            dq1 <= {(KW+2){1'b0}};
            dcnt <= 2'd0;
            act <= 1'b0;
            rem <= {KW{1'b0}};
            remz <= 1'b0;
            ph <= {{(BW-1){1'b0}}, 1'b1};
            lastp <= 1'b0;
            first <= 1'b0;
            since <= RS;
            spok <= 1'b1;
            go <= 1'b0;
            wsh <= {(C*(BW-1)){1'b0}};
            out_cw <= 5'b00000;
            out_x <= {(R*BX){1'b0}};
            out_wb <= {C{1'b0}};
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
            remz <= remz_n;
            ph <= ph_n;
            lastp <= lastp_n;
            first <= first_n;
            since <= since_n;
            spok <= spok_n;
            go <= act_n & (~lastp_n | spok_n);
            if (take & dq0[KW+1]) out_err <= 1'b1;
            out_cw <= {pop, issue & stepl, tend, issue & first, issue};
            // data is registered every cycle (no enable): the row edges take it only with load
            out_x <= in_x_data;
            for (c = 0; c < C; c = c + 1) begin
                if (pop) begin
                    out_wb[c] <= in_w_data[c*BW];
                    wsh[c*(BW-1) +: (BW-1)] <= in_w_data[c*BW+1 +: (BW-1)];
                end else if (issue) begin
                    out_wb[c] <= wsh[c*(BW-1)];
                    wsh[c*(BW-1) +: (BW-1)] <= wsh[c*(BW-1) +: (BW-1)] >> 1;
                end
            end
            if (issue) out_stat_work <= out_stat_work + 32'd1;
        end
    end
endmodule
