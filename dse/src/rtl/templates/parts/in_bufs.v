    // ---------------------------------------------------------------- buffers
    wire             west_re;
    wire [WAW-1:0]   west_raddr;
    wire [@@WEST_HI@@:0] west_rdata;
    wire             north_re;
    wire [NAW-1:0]   north_raddr;
    wire [@@NORTH_HI@@:0] north_rdata;
    wire             obuf_we;
    wire [OAW-1:0]   obuf_waddr;
    wire [@@OUT_HI@@:0] obuf_wdata;

    @@P@@sram_1r1w #(.WIDTH(@@WEST_BITS@@), .DEPTH(@@WDEPTH@@), .AW(WAW)) u_west_buf (
        .clk(clk), .we(west_we), .waddr(west_waddr), .wdata(west_wdata),
        .re(west_re), .raddr(west_raddr), .rdata(west_rdata)
    );
    @@P@@sram_1r1w #(.WIDTH(@@NORTH_BITS@@), .DEPTH(@@NDEPTH@@), .AW(NAW)) u_north_buf (
        .clk(clk), .we(north_we), .waddr(north_waddr), .wdata(north_wdata),
        .re(north_re), .raddr(north_raddr), .rdata(north_rdata)
    );
