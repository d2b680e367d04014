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

