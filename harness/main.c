/*
 * main.c — the `optbench` program.  Everything, including the table of
 * subcommands, is in the harness library (cli.c) so that the tests can run
 * the same code in-process.
 */
#include <stdio.h>

#include "ob_cli.h"

int main(int argc, char **argv)
{
    int rc = ob_cli_main(argc, argv, stdout, stderr);
    /* A failed write to stdout (a full disk, a closed pipe) is a failure. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0) fprintf(stderr, "optbench: error writing the output\n");
        return rc ? rc : 1;
    }
    return rc;
}
