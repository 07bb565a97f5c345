/* SPDX-License-Identifier: MIT
 * `ferry db upgrade` and `ferry db copy` (db_move.c), dispatched by cmd_db.c. */
#ifndef FERRY_CLI_DB_MOVE_H
#define FERRY_CLI_DB_MOVE_H

/* argv[0] is the subcommand's name. */
int db_upgrade(int argc, char **argv);
int db_copy(int argc, char **argv);

#endif
