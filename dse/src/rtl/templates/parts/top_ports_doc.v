// Ports:
//   start, cfg_m, cfg_n, cfg_k    command (sampled when start is high and busy is low)
//   cfg_west_base, cfg_north_base, cfg_out_base
//                                 first word of this GEMM in each buffer (sampled with
//                                 start), so the host can load the next GEMM's operands
//                                 while this one runs and start it right after `done`
//   busy, done                    busy from the cycle after start until done; done: 1 cycle
//   fold_start                    high in the first cycle of every fold (for measurement)
//   west_we/_waddr/_wdata         west buffer write port (host)
//   north_we/_waddr/_wdata        north buffer write port (host)
//   out_re/_raddr/_rdata          output buffer read port (host, while busy is low;
//                                 latency 1)
//
