// @@P@@_uart_rx: 8N1 UART receiver (hand-written board leaf).
// The line is brought into the clock domain by a 2-FF synchronizer (both FFs power up idle-high). A falling
// edge starts a frame; the start bit is re-checked in its middle (a glitch shorter than half a bit is ignored),
// then every data bit is sampled in its middle, CLKS_PER_BIT cycles apart, LSB first. In the middle of the
// stop bit the byte is delivered: out_valid pulses for one cycle with out_data; if the stop bit is low, the
// byte is still delivered and out_ferr pulses with it (framing error). The receiver then waits for the line
// to be high again before it looks for the next start bit (a break does not produce a stream of bytes).
module @@P@@_uart_rx #(
    parameter CLKS_PER_BIT = 104   // clock cycles per bit (>= 4): 12 MHz / 115200 baud = 104
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       in_rx,      // serial line, idle high
    output reg        out_valid,  // one-cycle pulse: out_data holds a received byte
    output reg  [7:0] out_data,
    output reg        out_ferr    // one-cycle pulse with out_valid: the stop bit was low
);
    localparam CW = $clog2(CLKS_PER_BIT + 1);
    localparam [CW-1:0] HALF = CLKS_PER_BIT / 2 - 1;
    localparam [CW-1:0] FULL = CLKS_PER_BIT - 1;
    localparam [1:0] S_IDLE = 2'd0, S_START = 2'd1, S_DATA = 2'd2, S_STOP = 2'd3;

    (* async_reg = "true" *) reg meta = 1'b1;
    (* async_reg = "true" *) reg line = 1'b1;
    reg          ready_for_start;   // the line was seen high since the last frame
    reg [1:0]    st;
    reg [CW-1:0] cnt;
    reg [2:0]    bitn;
    reg [7:0]    sh;

    always @(posedge clk) begin
        meta <= in_rx;
        line <= meta;
    end

    always @(posedge clk) begin
        if (rst) begin
            st <= S_IDLE;
            cnt <= {CW{1'b0}};
            bitn <= 3'd0;
            sh <= 8'd0;
            ready_for_start <= 1'b0;
            out_valid <= 1'b0;
            out_data <= 8'd0;
            out_ferr <= 1'b0;
        end else begin
            out_valid <= 1'b0;
            out_ferr <= 1'b0;
            case (st)
                S_IDLE: begin
                    if (line) ready_for_start <= 1'b1;
                    if (!line && ready_for_start) begin
                        st <= S_START;
                        cnt <= HALF;
                    end
                end
                S_START: begin
                    if (cnt != {CW{1'b0}}) cnt <= cnt - 1'b1;
                    else if (line) st <= S_IDLE;          // glitch: not a start bit
                    else begin
                        st <= S_DATA;
                        cnt <= FULL;
                        bitn <= 3'd0;
                    end
                end
                S_DATA: begin
                    if (cnt != {CW{1'b0}}) cnt <= cnt - 1'b1;
                    else begin
                        sh <= {line, sh[7:1]};
                        cnt <= FULL;
                        if (bitn == 3'd7) st <= S_STOP;
                        bitn <= bitn + 3'd1;
                    end
                end
                default: begin  // S_STOP
                    if (cnt != {CW{1'b0}}) cnt <= cnt - 1'b1;
                    else begin
                        out_valid <= 1'b1;
                        out_data <= sh;
                        out_ferr <= !line;
                        ready_for_start <= line;
                        st <= S_IDLE;
                    end
                end
            endcase
        end
    end
endmodule
