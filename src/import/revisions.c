/* SPDX-License-Identifier: MIT
 * MLflow's alembic chain (mlflow/store/db_migrations/versions/, each file's
 * revision and down_revision), oldest first. Read from MLflow's sources; a
 * new MLflow release that adds a migration needs its revision added here
 * once the importer has been checked against what it changes. */
#include "import/revisions.h"

#include <string.h>

#include "base/banned.h"

static const char *const chain[] = {
    "451aebb31d03", /* metrics.step: the first revision (MLflow 1.x) */
    "90e64c465722", "181f10493468", "df50e92ffc5e", "7ac759974ad8",
    "89d4b8295536", "2b4d017a5e9b", /* the model registry */
    "cfd24bdc0731", "0a8213491aaa", "728d730b5ebd", "27a6a02d2cf1",
    "84291f40a231", "a8c4a736bde6", "39d1c3be5f05", "c48cb773bb87",
    "bd07f7e963c5", "0c779009ac13", /* runs.deleted_time */
    "cc1f77228345", "97727af70f4d", /* experiments.creation_time, last_update_time; head of
                                       MLflow 2.0-2.2 */
    "3500859a5d39",                 /* registered_model_aliases (2.3) */
    "7f2a7d5fae7d",                 /* datasets, inputs, input_tags (2.4) */
    "2d6e25af4d3e", "acf3f17fdcc7", /* model_versions.storage_location */
    "867495a8f9d4",                 /* traces */
    "5b0e9adcef9c", "4465047574b1", "f5a4f2784254", "0584bdc529eb",
    "400f98739977", /* logged models (3.0) */
    "6953534de441", /* inputs.step */
    "bda7b8c39065", "cbc13b556ace", "770bee3ae1dd", "a1b2c3d4e5f6",
    "de4033877273", "1a0cddfcaa16", "534353b11cbc", "71994744cf8e",
    "3da73c924c2f", "bf29a5ff90ea", "1b5f0d9ad7c1", /* workspace columns */
};

#define NCHAIN ((int)(sizeof(chain) / sizeof(*chain)))

int revisions_index(const char *rev)
{
    for (int i = 0; rev && i < NCHAIN; i++)
        if (!strcmp(rev, chain[i]))
            return i;
    return -1;
}

const char *revisions_latest(void)
{
    return chain[NCHAIN - 1];
}
