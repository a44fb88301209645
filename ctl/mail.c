/*
 * authctl mail: not built yet.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_mail(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fprintf(stderr, "authctl: mail: not implemented yet\n");
	return CTL_ERR;
}
