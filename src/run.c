// SPDX-License-Identifier: MIT
/*
 * daxlab run: the whole experiment in one command (being written).
 */
#include "daxlab.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return error("daxlab run: not yet");
}
