module @@P@@top (
    input  wire clk,
    input  wire rst,
    input  wire start,
    input  wire [@@DW_HI@@:0] cfg_m,
    input  wire [@@DW_HI@@:0] cfg_n,
    input  wire [@@DW_HI@@:0] cfg_k,
    input  wire [@@WAW_HI@@:0] cfg_west_base,
    input  wire [@@NAW_HI@@:0] cfg_north_base,
    input  wire [@@OAW_HI@@:0] cfg_out_base,
    output reg  busy,
    output reg  done,
    output wire fold_start,
    input  wire west_we,
    input  wire [@@WAW_HI@@:0] west_waddr,
    input  wire [@@WEST_HI@@:0] west_wdata,
    input  wire north_we,
    input  wire [@@NAW_HI@@:0] north_waddr,
    input  wire [@@NORTH_HI@@:0] north_wdata,
    input  wire out_re,
    input  wire [@@OAW_HI@@:0] out_raddr,
    output wire [@@OUT_HI@@:0] out_rdata
);
    localparam integer R = @@R@@;          // array rows
    localparam integer C = @@C@@;          // array columns
    localparam integer W = @@W@@;          // operand bits
    localparam integer ACC = @@ACC@@;        // accumulator bits
    localparam integer DW = @@DW@@;         // GEMM dimension bits
    localparam integer PW = @@PW@@;         // fold cycle counter bits
    localparam integer WAW = @@WAW@@;        // west buffer address bits
    localparam integer NAW = @@NAW@@;        // north buffer address bits
    localparam integer OAW = @@OAW@@;        // output buffer address bits

    localparam [DW-1:0] R_D = @@DW@@'d@@R@@;
    localparam [DW-1:0] C_D = @@DW@@'d@@C@@;
    localparam [PW-1:0] P_ONE = @@PW@@'d1;
    localparam [WAW-1:0] WA_ONE = @@WAW@@'d1;
    localparam [NAW-1:0] NA_ONE = @@NAW@@'d1;
    localparam [OAW-1:0] OA_ONE = @@OAW@@'d1;

    // ---------------------------------------------------------------- buffers
    wire             west_re;
    wire [WAW-1:0]   west_raddr;
    wire [R*W-1:0]   west_rdata;
    wire             north_re;
    wire [NAW-1:0]   north_raddr;
    wire [C*W-1:0]   north_rdata;
    wire             obuf_we;
    wire [OAW-1:0]   obuf_waddr;
    wire [C*ACC-1:0] obuf_wdata;

    @@P@@sram_1r1w #(.WIDTH(R*W), .DEPTH(@@WDEPTH@@), .AW(WAW)) u_west_buf (
        .clk(clk), .we(west_we), .waddr(west_waddr), .wdata(west_wdata),
        .re(west_re), .raddr(west_raddr), .rdata(west_rdata)
    );
    @@P@@sram_1r1w #(.WIDTH(C*W), .DEPTH(@@NDEPTH@@), .AW(NAW)) u_north_buf (
        .clk(clk), .we(north_we), .waddr(north_waddr), .wdata(north_wdata),
        .re(north_re), .raddr(north_raddr), .rdata(north_rdata)
    );
