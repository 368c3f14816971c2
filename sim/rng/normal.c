/* SPDX-License-Identifier: MIT */
/* Tables and the slow path of the ziggurat normal in sim/rng/normal.h. */
/*
 * How the tables were made (once, from the algorithm's constants; tests/test_normal.c
 * rebuilds them in double precision and checks them). With N = 256 layers,
 * f(x) = exp(-x^2/2) and V(r) = r f(r) + sqrt(pi/2) erfc(r / sqrt 2) (the base layer: the
 * rectangle below f(r) plus the tail), the recurrence x_1 = r,
 * x_{i+1} = sqrt(-2 ln(f(x_i) + V / x_i)) must end with a top layer of area V:
 * x_255 (1 - f(x_255)) = V. r was solved for by bisection in 60-digit arithmetic (mpmath):
 * r = 3.65415288536100877164542972, V = 0.00492867323397465534736177540 (Marsaglia & Tsang
 * give 3.6541528853610088 and 0.00492867323399). Then x_0 = V / f(r), x_256 = 0, every x_i
 * rounded to double, and f(x_i) computed from the rounded x_i, so that each layer's height
 * matches its width: the area of layer i, x_i (f(x_{i+1}) - f(x_i)), is V within a relative
 * 3e-14 for every layer (the top layers lose digits in the difference of heights near 1).
 * Values are written as hexadecimal floating constants so that they are read back exactly.
 */
#include <math.h>

#include "sim/rng/normal.h"

/* {x_i 2^-53, x_{i+1}} for i = 0 .. 255. */
const cx_normal_layer cx_normal_layers[256] = {
    {0x1.f493b7815d982p-52, 0x1.d3bb48209ad33p+1},
    {0x1.d3bb48209ad33p-52, 0x1.b981f3878fdb0p+1},
    {0x1.b981f3878fdb0p-52, 0x1.a8fdc78947759p+1},
    {0x1.a8fdc78947759p-52, 0x1.9cbee014057aap+1},
    {0x1.9cbee014057aap-52, 0x1.92ee0946f4496p+1},
    {0x1.92ee0946f4496p-52, 0x1.8ab0fbfaa7c14p+1},
    {0x1.8ab0fbfaa7c14p-52, 0x1.839030529f233p+1},
    {0x1.839030529f233p-52, 0x1.7d42df4d6ce8bp+1},
    {0x1.7d42df4d6ce8bp-52, 0x1.7799556090672p+1},
    {0x1.7799556090672p-52, 0x1.72728f05f7a33p+1},
    {0x1.72728f05f7a33p-52, 0x1.6db6b8d09e231p+1},
    {0x1.6db6b8d09e231p-52, 0x1.69540be9fe5c2p+1},
    {0x1.69540be9fe5c2p-52, 0x1.653ce7b006aeap+1},
    {0x1.653ce7b006aeap-52, 0x1.61669cf861e4bp+1},
    {0x1.61669cf861e4bp-52, 0x1.5dc8a243ad0fep+1},
    {0x1.5dc8a243ad0fep-52, 0x1.5a5c08b718dd9p+1},
    {0x1.5a5c08b718dd9p-52, 0x1.571b1a94ae41cp+1},
    {0x1.571b1a94ae41cp-52, 0x1.54011523a7e43p+1},
    {0x1.54011523a7e43p-52, 0x1.5109f53e9ac42p+1},
    {0x1.5109f53e9ac42p-52, 0x1.4e3250dcd8903p+1},
    {0x1.4e3250dcd8903p-52, 0x1.4b7739d6b5a28p+1},
    {0x1.4b7739d6b5a28p-52, 0x1.48d62759c43bdp+1},
    {0x1.48d62759c43bdp-52, 0x1.464ce44a73a16p+1},
    {0x1.464ce44a73a16p-52, 0x1.43d9815545e94p+1},
    {0x1.43d9815545e94p-52, 0x1.417a49cb9e5dbp+1},
    {0x1.417a49cb9e5dbp-52, 0x1.3f2dbaa60f475p+1},
    {0x1.3f2dbaa60f475p-52, 0x1.3cf27b31704a6p+1},
    {0x1.3cf27b31704a6p-52, 0x1.3ac7570ae88fap+1},
    {0x1.3ac7570ae88fap-52, 0x1.38ab39256410ap+1},
    {0x1.38ab39256410ap-52, 0x1.369d27a33a840p+1},
    {0x1.369d27a33a840p-52, 0x1.349c405ae12a3p+1},
    {0x1.349c405ae12a3p-52, 0x1.32a7b5e68a4a3p+1},
    {0x1.32a7b5e68a4a3p-52, 0x1.30becd256aeeep+1},
    {0x1.30becd256aeeep-52, 0x1.2ee0db1a978f5p+1},
    {0x1.2ee0db1a978f5p-52, 0x1.2d0d43196db97p+1},
    {0x1.2d0d43196db97p-52, 0x1.2b437532a0a53p+1},
    {0x1.2b437532a0a53p-52, 0x1.2982ecd770e78p+1},
    {0x1.2982ecd770e78p-52, 0x1.27cb2faa8592ep+1},
    {0x1.27cb2faa8592ep-52, 0x1.261bcc77658e0p+1},
    {0x1.261bcc77658e0p-52, 0x1.24745a4ac9c24p+1},
    {0x1.24745a4ac9c24p-52, 0x1.22d477a6fd3efp+1},
    {0x1.22d477a6fd3efp-52, 0x1.213bc9d04cc82p+1},
    {0x1.213bc9d04cc82p-52, 0x1.1fa9fc2e2d901p+1},
    {0x1.1fa9fc2e2d901p-52, 0x1.1e1ebfbe4ae39p+1},
    {0x1.1e1ebfbe4ae39p-52, 0x1.1c99ca971a695p+1},
    {0x1.1c99ca971a695p-52, 0x1.1b1ad777f2f8fp+1},
    {0x1.1b1ad777f2f8fp-52, 0x1.19a1a564eebadp+1},
    {0x1.19a1a564eebadp-52, 0x1.182df74d21262p+1},
    {0x1.182df74d21262p-52, 0x1.16bf93b9deef5p+1},
    {0x1.16bf93b9deef5p-52, 0x1.1556448602e3dp+1},
    {0x1.1556448602e3dp-52, 0x1.13f1d69c4096fp+1},
    {0x1.13f1d69c4096fp-52, 0x1.129219bbb5d37p+1},
    {0x1.129219bbb5d37p-52, 0x1.1136e04207043p+1},
    {0x1.1136e04207043p-52, 0x1.0fdffefa69fb8p+1},
    {0x1.0fdffefa69fb8p-52, 0x1.0e8d4cf116594p+1},
    {0x1.0e8d4cf116594p-52, 0x1.0d3ea34aa3d32p+1},
    {0x1.0d3ea34aa3d32p-52, 0x1.0bf3dd1eed449p+1},
    {0x1.0bf3dd1eed449p-52, 0x1.0aacd7571c0c5p+1},
    {0x1.0aacd7571c0c5p-52, 0x1.0969708e8a255p+1},
    {0x1.0969708e8a255p-52, 0x1.082988f632e18p+1},
    {0x1.082988f632e18p-52, 0x1.06ed023a72669p+1},
    {0x1.06ed023a72669p-52, 0x1.05b3bf6adb37ep+1},
    {0x1.05b3bf6adb37ep-52, 0x1.047da4e3ef5c7p+1},
    {0x1.047da4e3ef5c7p-52, 0x1.034a983a902abp+1},
    {0x1.034a983a902abp-52, 0x1.021a8028fc947p+1},
    {0x1.021a8028fc947p-52, 0x1.00ed447d3a075p+1},
    {0x1.00ed447d3a075p-52, 0x1.ff859c118f60bp+0},
    {0x1.ff859c118f60bp-53, 0x1.fd360d22fe785p+0},
    {0x1.fd360d22fe785p-53, 0x1.faebb187122bfp+0},
    {0x1.faebb187122bfp-53, 0x1.f8a6604899782p+0},
    {0x1.f8a6604899782p-53, 0x1.f665f20c90168p+0},
    {0x1.f665f20c90168p-53, 0x1.f42a40fb74d6dp+0},
    {0x1.f42a40fb74d6dp-53, 0x1.f1f328ac25321p+0},
    {0x1.f1f328ac25321p-53, 0x1.efc086101eca9p+0},
    {0x1.efc086101eca9p-53, 0x1.ed9237610a73ap+0},
    {0x1.ed9237610a73ap-53, 0x1.eb681c0f76f08p+0},
    {0x1.eb681c0f76f08p-53, 0x1.e94214b2abf09p+0},
    {0x1.e94214b2abf09p-53, 0x1.e72002f97fe23p+0},
    {0x1.e72002f97fe23p-53, 0x1.e501c99c1d186p+0},
    {0x1.e501c99c1d186p-53, 0x1.e2e74c4ea46f3p+0},
    {0x1.e2e74c4ea46f3p-53, 0x1.e0d06fb49d219p+0},
    {0x1.e0d06fb49d219p-53, 0x1.debd195522e34p+0},
    {0x1.debd195522e34p-53, 0x1.dcad2f8fc490cp+0},
    {0x1.dcad2f8fc490cp-53, 0x1.daa0999206e6ep+0},
    {0x1.daa0999206e6ep-53, 0x1.d8973f4d7fba4p+0},
    {0x1.d8973f4d7fba4p-53, 0x1.d691096e7f123p+0},
    {0x1.d691096e7f123p-53, 0x1.d48de1533c647p+0},
    {0x1.d48de1533c647p-53, 0x1.d28db1037ef20p+0},
    {0x1.d28db1037ef20p-53, 0x1.d0906328b8f6ep+0},
    {0x1.d0906328b8f6ep-53, 0x1.ce95e3068e037p+0},
    {0x1.ce95e3068e037p-53, 0x1.cc9e1c73bd690p+0},
    {0x1.cc9e1c73bd690p-53, 0x1.caa8fbd36a2abp+0},
    {0x1.caa8fbd36a2abp-53, 0x1.c8b66e0eba617p+0},
    {0x1.c8b66e0eba617p-53, 0x1.c6c6608ec8705p+0},
    {0x1.c6c6608ec8705p-53, 0x1.c4d8c136e0d1dp+0},
    {0x1.c4d8c136e0d1dp-53, 0x1.c2ed7e5f07a2dp+0},
    {0x1.c2ed7e5f07a2dp-53, 0x1.c10486cec16a0p+0},
    {0x1.c10486cec16a0p-53, 0x1.bf1dc9b81ae82p+0},
    {0x1.bf1dc9b81ae82p-53, 0x1.bd3936b2ec0a2p+0},
    {0x1.bd3936b2ec0a2p-53, 0x1.bb56bdb85256ep+0},
    {0x1.bb56bdb85256ep-53, 0x1.b9764f1e5f73dp+0},
    {0x1.b9764f1e5f73dp-53, 0x1.b797db93f8928p+0},
    {0x1.b797db93f8928p-53, 0x1.b5bb541ce3d04p+0},
    {0x1.b5bb541ce3d04p-53, 0x1.b3e0aa0e00c01p+0},
    {0x1.b3e0aa0e00c01p-53, 0x1.b207cf09a985cp+0},
    {0x1.b207cf09a985cp-53, 0x1.b030b4fc3a11bp+0},
    {0x1.b030b4fc3a11bp-53, 0x1.ae5b4e18bb338p+0},
    {0x1.ae5b4e18bb338p-53, 0x1.ac878cd5af5cfp+0},
    {0x1.ac878cd5af5cfp-53, 0x1.aab563e9ff10ap+0},
    {0x1.aab563e9ff10ap-53, 0x1.a8e4c64a0313fp+0},
    {0x1.a8e4c64a0313fp-53, 0x1.a715a724aa9a7p+0},
    {0x1.a715a724aa9a7p-53, 0x1.a547f9e0bbb8bp+0},
    {0x1.a547f9e0bbb8bp-53, 0x1.a37bb21a2c85ep+0},
    {0x1.a37bb21a2c85ep-53, 0x1.a1b0c39f93696p+0},
    {0x1.a1b0c39f93696p-53, 0x1.9fe7226fad24dp+0},
    {0x1.9fe7226fad24dp-53, 0x1.9e1ec2b6f7414p+0},
    {0x1.9e1ec2b6f7414p-53, 0x1.9c5798cd5d92ep+0},
    {0x1.9c5798cd5d92ep-53, 0x1.9a919933f99c1p+0},
    {0x1.9a919933f99c1p-53, 0x1.98ccb892e2a33p+0},
    {0x1.98ccb892e2a33p-53, 0x1.9708ebb70d5efp+0},
    {0x1.9708ebb70d5efp-53, 0x1.954627903a28bp+0},
    {0x1.954627903a28bp-53, 0x1.9384612ef0afep+0},
    {0x1.9384612ef0afep-53, 0x1.91c38dc288349p+0},
    {0x1.91c38dc288349p-53, 0x1.9003a2973b591p+0},
    {0x1.9003a2973b591p-53, 0x1.8e44951446a28p+0},
    {0x1.8e44951446a28p-53, 0x1.8c865aba10c9dp+0},
    {0x1.8c865aba10c9dp-53, 0x1.8ac8e9205c044p+0},
    {0x1.8ac8e9205c044p-53, 0x1.890c35f47f72ep+0},
    {0x1.890c35f47f72ep-53, 0x1.875036f7a7ec7p+0},
    {0x1.875036f7a7ec7p-53, 0x1.8594e1fd1f5bep+0},
    {0x1.8594e1fd1f5bep-53, 0x1.83da2ce899f16p+0},
    {0x1.83da2ce899f16p-53, 0x1.82200dac88677p+0},
    {0x1.82200dac88677p-53, 0x1.80667a486ea1fp+0},
    {0x1.80667a486ea1fp-53, 0x1.7ead68c73dee7p+0},
    {0x1.7ead68c73dee7p-53, 0x1.7cf4cf3db22fcp+0},
    {0x1.7cf4cf3db22fcp-53, 0x1.7b3ca3c8b140ap+0},
    {0x1.7b3ca3c8b140ap-53, 0x1.7984dc8babd94p+0},
    {0x1.7984dc8babd94p-53, 0x1.77cd6faeff44ap+0},
    {0x1.77cd6faeff44ap-53, 0x1.7616535e57320p+0},
    {0x1.7616535e57320p-53, 0x1.745f7dc70eeddp+0},
    {0x1.745f7dc70eeddp-53, 0x1.72a8e516914c7p+0},
    {0x1.72a8e516914c7p-53, 0x1.70f27f78b68ecp+0},
    {0x1.70f27f78b68ecp-53, 0x1.6f3c43161f856p+0},
    {0x1.6f3c43161f856p-53, 0x1.6d8626128d354p+0},
    {0x1.6d8626128d354p-53, 0x1.6bd01e8b343bdp+0},
    {0x1.6bd01e8b343bdp-53, 0x1.6a1a22950b2b3p+0},
    {0x1.6a1a22950b2b3p-53, 0x1.6864283b13139p+0},
    {0x1.6864283b13139p-53, 0x1.66ae257c99674p+0},
    {0x1.66ae257c99674p-53, 0x1.64f8104b7260dp+0},
    {0x1.64f8104b7260dp-53, 0x1.6341de8a2b0a4p+0},
    {0x1.6341de8a2b0a4p-53, 0x1.618b860a31fc5p+0},
    {0x1.618b860a31fc5p-53, 0x1.5fd4fc89f5e39p+0},
    {0x1.5fd4fc89f5e39p-53, 0x1.5e1e37b2f8cd4p+0},
    {0x1.5e1e37b2f8cd4p-53, 0x1.5c672d17d733fp+0},
    {0x1.5c672d17d733fp-53, 0x1.5aafd23241b5ap+0},
    {0x1.5aafd23241b5ap-53, 0x1.58f81c60e8515p+0},
    {0x1.58f81c60e8515p-53, 0x1.574000e555f79p+0},
    {0x1.574000e555f79p-53, 0x1.558774e1bb2c9p+0},
    {0x1.558774e1bb2c9p-53, 0x1.53ce6d56a6650p+0},
    {0x1.53ce6d56a6650p-53, 0x1.5214df20a8b5cp+0},
    {0x1.5214df20a8b5cp-53, 0x1.505abef5e5563p+0},
    {0x1.505abef5e5563p-53, 0x1.4ea001638a606p+0},
    {0x1.4ea001638a606p-53, 0x1.4ce49acb311ddp+0},
    {0x1.4ce49acb311ddp-53, 0x1.4b287f602415ep+0},
    {0x1.4b287f602415ep-53, 0x1.496ba32488f30p+0},
    {0x1.496ba32488f30p-53, 0x1.47adf9e66c338p+0},
    {0x1.47adf9e66c338p-53, 0x1.45ef773cac75ep+0},
    {0x1.45ef773cac75ep-53, 0x1.44300e83c30a6p+0},
    {0x1.44300e83c30a6p-53, 0x1.426fb2da6745fp+0},
    {0x1.426fb2da6745fp-53, 0x1.40ae571e09e76p+0},
    {0x1.40ae571e09e76p-53, 0x1.3eebede725a85p+0},
    {0x1.3eebede725a85p-53, 0x1.3d28698561de3p+0},
    {0x1.3d28698561de3p-53, 0x1.3b63bbfb83d06p+0},
    {0x1.3b63bbfb83d06p-53, 0x1.399dd6fb2b267p+0},
    {0x1.399dd6fb2b267p-53, 0x1.37d6abe05586cp+0},
    {0x1.37d6abe05586cp-53, 0x1.360e2baca52d7p+0},
    {0x1.360e2baca52d7p-53, 0x1.3444470265ea4p+0},
    {0x1.3444470265ea4p-53, 0x1.3278ee1f4b933p+0},
    {0x1.3278ee1f4b933p-53, 0x1.30ac10d6e48dap+0},
    {0x1.30ac10d6e48dap-53, 0x1.2edd9e8cba990p+0},
    {0x1.2edd9e8cba990p-53, 0x1.2d0d862e1b855p+0},
    {0x1.2d0d862e1b855p-53, 0x1.2b3bb62b82edbp+0},
    {0x1.2b3bb62b82edbp-53, 0x1.29681c719d71dp+0},
    {0x1.29681c719d71dp-53, 0x1.2792a661dd381p+0},
    {0x1.2792a661dd381p-53, 0x1.25bb40ca96bfep+0},
    {0x1.25bb40ca96bfep-53, 0x1.23e1d7de9c322p+0},
    {0x1.23e1d7de9c322p-53, 0x1.2206572c4c6ecp+0},
    {0x1.2206572c4c6ecp-53, 0x1.2028a9940a0a3p+0},
    {0x1.2028a9940a0a3p-53, 0x1.1e48b93e0d431p+0},
    {0x1.1e48b93e0d431p-53, 0x1.1c666f8f82acfp+0},
    {0x1.1c666f8f82acfp-53, 0x1.1a81b51ee6d8bp+0},
    {0x1.1a81b51ee6d8bp-53, 0x1.189a71a78da37p+0},
    {0x1.189a71a78da37p-53, 0x1.16b08bfc42020p+0},
    {0x1.16b08bfc42020p-53, 0x1.14c3e9f8e9143p+0},
    {0x1.14c3e9f8e9143p-53, 0x1.12d4707310fc1p+0},
    {0x1.12d4707310fc1p-53, 0x1.10e20329515f1p+0},
    {0x1.10e20329515f1p-53, 0x1.0eec84b16086fp+0},
    {0x1.0eec84b16086fp-53, 0x1.0cf3d664bcc83p+0},
    {0x1.0cf3d664bcc83p-53, 0x1.0af7d84bc6116p+0},
    {0x1.0af7d84bc6116p-53, 0x1.08f869071f40fp+0},
    {0x1.08f869071f40fp-53, 0x1.06f565b72a014p+0},
    {0x1.06f565b72a014p-53, 0x1.04eea9e16a5ffp+0},
    {0x1.04eea9e16a5ffp-53, 0x1.02e40f5398f9dp+0},
    {0x1.02e40f5398f9dp-53, 0x1.00d56e04234eep+0},
    {0x1.00d56e04234eep-53, 0x1.fd8537dfa2eb1p-1},
    {0x1.fd8537dfa2eb1p-54, 0x1.f956d9e87d7b2p-1},
    {0x1.f956d9e87d7b2p-54, 0x1.f51f654d8f68cp-1},
    {0x1.f51f654d8f68cp-54, 0x1.f0de784f0622ap-1},
    {0x1.f0de784f0622ap-54, 0x1.ec93abdf982d2p-1},
    {0x1.ec93abdf982d2p-54, 0x1.e83e9337a6f04p-1},
    {0x1.e83e9337a6f04p-54, 0x1.e3debb5d2ee02p-1},
    {0x1.e3debb5d2ee02p-54, 0x1.df73aa9f17656p-1},
    {0x1.df73aa9f17656p-54, 0x1.dafce0023b8c8p-1},
    {0x1.dafce0023b8c8p-54, 0x1.d679d29e41f14p-1},
    {0x1.d679d29e41f14p-54, 0x1.d1e9f0e80b74bp-1},
    {0x1.d1e9f0e80b74bp-54, 0x1.cd4c9fe72268fp-1},
    {0x1.cd4c9fe72268fp-54, 0x1.c8a13a5323b66p-1},
    {0x1.c8a13a5323b66p-54, 0x1.c3e70f9594ef8p-1},
    {0x1.c3e70f9594ef8p-54, 0x1.bf1d62abf8239p-1},
    {0x1.bf1d62abf8239p-54, 0x1.ba4368e529f40p-1},
    {0x1.ba4368e529f40p-54, 0x1.b558487427a2fp-1},
    {0x1.b558487427a2fp-54, 0x1.b05b16d136ca2p-1},
    {0x1.b05b16d136ca2p-54, 0x1.ab4ad6e101636p-1},
    {0x1.ab4ad6e101636p-54, 0x1.a62676d77cd5fp-1},
    {0x1.a62676d77cd5fp-54, 0x1.a0eccdca4a731p-1},
    {0x1.a0eccdca4a731p-54, 0x1.9b9c98e38c54dp-1},
    {0x1.9b9c98e38c54dp-54, 0x1.96347822c1ef0p-1},
    {0x1.96347822c1ef0p-54, 0x1.90b2ea94ecf9ep-1},
    {0x1.90b2ea94ecf9ep-54, 0x1.8b1649e7b769fp-1},
    {0x1.8b1649e7b769fp-54, 0x1.855cc53430a7dp-1},
    {0x1.855cc53430a7dp-54, 0x1.7f845ad46f549p-1},
    {0x1.7f845ad46f549p-54, 0x1.798ad10b32a7ep-1},
    {0x1.798ad10b32a7ep-54, 0x1.736dad346f8adp-1},
    {0x1.736dad346f8adp-54, 0x1.6d2a292000576p-1},
    {0x1.6d2a292000576p-54, 0x1.66bd261a37c44p-1},
    {0x1.66bd261a37c44p-54, 0x1.60231cfd97ef1p-1},
    {0x1.60231cfd97ef1p-54, 0x1.59580a707ce9cp-1},
    {0x1.59580a707ce9cp-54, 0x1.52575621ad379p-1},
    {0x1.52575621ad379p-54, 0x1.4b1bb363dfeadp-1},
    {0x1.4b1bb363dfeadp-54, 0x1.439ef8dff9b5ap-1},
    {0x1.439ef8dff9b5ap-54, 0x1.3bd9ec1a2b134p-1},
    {0x1.3bd9ec1a2b134p-54, 0x1.33c3fc05791fap-1},
    {0x1.33c3fc05791fap-54, 0x1.2b52e3863d885p-1},
    {0x1.2b52e3863d885p-54, 0x1.227a28f7a1afap-1},
    {0x1.227a28f7a1afap-54, 0x1.192a69741367dp-1},
    {0x1.192a69741367dp-54, 0x1.0f5053b025d4ap-1},
    {0x1.0f5053b025d4ap-54, 0x1.04d32278ebbb4p-1},
    {0x1.04d32278ebbb4p-54, 0x1.f32482d4cd5d0p-2},
    {0x1.f32482d4cd5d0p-55, 0x1.dac2f5a747281p-2},
    {0x1.dac2f5a747281p-55, 0x1.c004d2f386207p-2},
    {0x1.c004d2f386207p-55, 0x1.a230c2e4cd0cbp-2},
    {0x1.a230c2e4cd0cbp-55, 0x1.801fce82fa71ap-2},
    {0x1.801fce82fa71ap-55, 0x1.57cb938443b71p-2},
    {0x1.57cb938443b71p-55, 0x1.250af3c2c5bc6p-2},
    {0x1.250af3c2c5bc6p-55, 0x1.b8d0be3fdf702p-3},
    {0x1.b8d0be3fdf702p-56, 0x0.0p+0},
};

const double cx_normal_f[257] = {
    0x1.f4a946f138432p-12, 0x1.4a605b6b9f70dp-10, 0x1.55f9f43c1b071p-9,
    0x1.08a1f03b0b205p-8, 0x1.69ea8d90cb868p-8, 0x1.ce160f8ec6838p-8,
    0x1.1a59229952f93p-7, 0x1.4eb96421acfebp-7, 0x1.841040d8da47ep-7,
    0x1.ba48d274f8fb3p-7, 0x1.f152a4f72dd55p-7, 0x1.149033460301ap-6,
    0x1.30d388dab5e1ap-6, 0x1.4d6eaf2fbb064p-6, 0x1.6a5daf40bbf89p-6,
    0x1.879d1b600c10bp-6, 0x1.a529f4e22ebf8p-6, 0x1.c301983cd0910p-6,
    0x1.e121adb828c6ap-6, 0x1.ff881d718a5b7p-6, 0x1.0f1982e96800bp-5,
    0x1.1e9059f1f6ab7p-5, 0x1.2e27ce83df492p-5, 0x1.3ddf2ce98eec4p-5,
    0x1.4db5d0e11275ep-5, 0x1.5dab23cf2adcep-5, 0x1.6dbe9b398d063p-5,
    0x1.7defb77af271dp-5, 0x1.8e3e02a68b5acp-5, 0x1.9ea90f9295563p-5,
    0x1.af30790385f71p-5, 0x1.bfd3e0f282a2cp-5, 0x1.d092efeadf161p-5,
    0x1.e16d547b25181p-5, 0x1.f262c2b6c6e36p-5, 0x1.01b979e30e498p-4,
    0x1.0a4ed2c159620p-4, 0x1.12f14d0f2179dp-4, 0x1.1ba0cbe97897cp-4,
    0x1.245d344dd0d90p-4, 0x1.2d266cf9b3110p-4, 0x1.35fc5e4d93e6ap-4,
    0x1.3edef23269a81p-4, 0x1.47ce1401b2214p-4, 0x1.50c9b06fa2baep-4,
    0x1.59d1b5774669dp-4, 0x1.62e6124854d12p-4, 0x1.6c06b73694a45p-4,
    0x1.753395aaa116ep-4, 0x1.7e6ca013eefc9p-4, 0x1.87b1c9dbf2844p-4,
    0x1.9103075a4a09ep-4, 0x1.9a604dc9d5b0bp-4, 0x1.a3c9933ea6279p-4,
    0x1.ad3ece9caf626p-4, 0x1.b6bff78f2e22ap-4, 0x1.c04d0680b1008p-4,
    0x1.c9e5f493b7403p-4, 0x1.d38abb9bd91dcp-4, 0x1.dd3b56176e889p-4,
    0x1.e6f7bf29aa542p-4, 0x1.f0bff29520e12p-4, 0x1.fa93ecb6b222dp-4,
    0x1.0239d54067d2bp-3, 0x1.072f94bb8bf85p-3, 0x1.0c2b33d5209bap-3,
    0x1.112cb1da26eb9p-3, 0x1.16340e5a82d63p-3, 0x1.1b41492757d42p-3,
    0x1.2054625183c34p-3, 0x1.256d5a2835eb6p-3, 0x1.2a8c3137a071bp-3,
    0x1.2fb0e847c2a65p-3, 0x1.34db805b4ab88p-3, 0x1.3a0bfaae8d7eep-3,
    0x1.3f4258b6931aep-3, 0x1.447e9c20375d6p-3, 0x1.49c0c6cf5ce30p-3,
    0x1.4f08dade31fc6p-3, 0x1.5456da9c8683bp-3, 0x1.59aac88f31d75p-3,
    0x1.5f04a76f88400p-3, 0x1.64647a2adf1a4p-3, 0x1.69ca43e21f260p-3,
    0x1.6f3607e96471ap-3, 0x1.74a7c9c7ab5a9p-3, 0x1.7a1f8d368a322p-3,
    0x1.7f9d5621f7175p-3, 0x1.852128a819a39p-3, 0x1.8aab09192815bp-3,
    0x1.903afbf74fa6ap-3, 0x1.95d105f6a7c26p-3, 0x1.9b6d2bfd2fe5bp-3,
    0x1.a10f7322d7e3cp-3, 0x1.a6b7e0b19267dp-3, 0x1.ac667a2571805p-3,
    0x1.b21b452ccd13bp-3, 0x1.b7d647a8731aap-3, 0x1.bd9787abe18a3p-3,
    0x1.c35f0b7d89d46p-3, 0x1.c92cd9971df52p-3, 0x1.cf00f8a5e6fc8p-3,
    0x1.d4db6f8b2514cp-3, 0x1.dabc455c79006p-3, 0x1.e0a3816457180p-3,
    0x1.e6912b2283cd9p-3, 0x1.ec854a4c99c3fp-3, 0x1.f27fe6ce998ccp-3,
    0x1.f88108cb83231p-3, 0x1.fe88b89df93bdp-3, 0x1.024b7f6c7747ap-2,
    0x1.0555f2242e9d4p-2, 0x1.0863b8f904330p-2, 0x1.0b74d88b242d5p-2,
    0x1.0e895598709bdp-2, 0x1.11a134fcf241ep-2, 0x1.14bc7bb34ee63p-2,
    0x1.17db2ed5454e5p-2, 0x1.1afd539c2f04cp-2, 0x1.1e22ef6188113p-2,
    0x1.214c079f7cc9cp-2, 0x1.2478a1f17de87p-2, 0x1.27a8c414db11ap-2,
    0x1.2adc73e963fd9p-2, 0x1.2e13b77210763p-2, 0x1.314e94d5af62dp-2,
    0x1.348d125f9d19cp-2, 0x1.37cf368081377p-2, 0x1.3b1507cf143acp-2,
    0x1.3e5e8d08ed2d8p-2, 0x1.41abcd1357a17p-2, 0x1.44fccefc324fbp-2,
    0x1.485199fad6ad3p-2, 0x1.4baa357109ca2p-2, 0x1.4f06a8ebf6d91p-2,
    0x1.5266fc2533bebp-2, 0x1.55cb3703d00fep-2, 0x1.5933619d6eebcp-2,
    0x1.5c9f84376c242p-2, 0x1.600fa7480d2c6p-2, 0x1.6383d377be512p-2,
    0x1.66fc11a25cbe0p-2, 0x1.6a786ad88de1fp-2, 0x1.6df8e86124ca5p-2,
    0x1.717d93ba96148p-2, 0x1.7506769c7b1e9p-2, 0x1.78939af9252e7p-2,
    0x1.7c250aff414abp-2, 0x1.7fbad11b8d90dp-2, 0x1.8354f7faa0dd5p-2,
    0x1.86f38a8ac5ab1p-2, 0x1.8a9693fde9184p-2, 0x1.8e3e1fcb9f113p-2,
    0x1.91ea39b33cb14p-2, 0x1.959aedbe09f8fp-2, 0x1.995048418c0c4p-2,
    0x1.9d0a55e1e93ddp-2, 0x1.a0c923946843cp-2, 0x1.a48cbea20c04bp-2,
    0x1.a85534aa4d87ep-2, 0x1.ac2293a5f5a9ap-2, 0x1.aff4e9ea1854fp-2,
    0x1.b3cc462b331c7p-2, 0x1.b7a8b78071319p-2, 0x1.bb8a4d6716d8ep-2,
    0x1.bf7117c616a14p-2, 0x1.c35d26f1d2cb4p-2, 0x1.c74e8bb00d7c5p-2,
    0x1.cb45573c0a843p-2, 0x1.cf419b4ae5b69p-2, 0x1.d3436a102107bp-2,
    0x1.d74ad6426de2ep-2, 0x1.db57f320b56aap-2, 0x1.df6ad47763a02p-2,
    0x1.e3838ea5f9b7ep-2, 0x1.e7a236a4ec3c0p-2, 0x1.ebc6e20bd1f50p-2,
    0x1.eff1a717e8f8ep-2, 0x1.f4229cb2f7aedp-2, 0x1.f859da7a900c4p-2,
    0x1.fc9778c7bbd9cp-2, 0x1.006dc85b8cac2p-1, 0x1.02931e18b8229p-1,
    0x1.04bbcafa63f2bp-1, 0x1.06e7dccf03c33p-1, 0x1.091761d995d7ep-1,
    0x1.0b4a68d70d9aap-1, 0x1.0d8101041429cp-1, 0x1.0fbb3a232590fp-1,
    0x1.11f9248311f34p-1, 0x1.143ad105ea997p-1, 0x1.16805128639d6p-1,
    0x1.18c9b709b3c4cp-1, 0x1.1b171573fd10ep-1, 0x1.1d687fe549966p-1,
    0x1.1fbe0a992961dp-1, 0x1.2217ca92ff7eep-1, 0x1.2475d5a90db7fp-1,
    0x1.26d84290504e8p-1, 0x1.293f28e93cd11p-1, 0x1.2baaa14d79545p-1,
    0x1.2e1ac55ea3be9p-1, 0x1.308fafd6438ebp-1, 0x1.33097c9703a32p-1,
    0x1.358848bf550e7p-1, 0x1.380c32bda00d2p-1, 0x1.3a955a662cd0bp-1,
    0x1.3d23e10af31a0p-1, 0x1.3fb7e99585b7fp-1, 0x1.425198a355fe0p-1,
    0x1.44f114a493676p-1, 0x1.479685fdf500fp-1, 0x1.4a42172dc5276p-1,
    0x1.4cf3f4f494ebdp-1, 0x1.4fac4e820b665p-1, 0x1.526b55a656cd3p-1,
    0x1.55313f08d9e44p-1, 0x1.57fe4264c8d8cp-1, 0x1.5ad29acc85c85p-1,
    0x1.5dae86f4aff66p-1, 0x1.6092498802662p-1, 0x1.637e298550c15p-1,
    0x1.667272a92e31fp-1, 0x1.696f75e513b26p-1, 0x1.6c7589e635a86p-1,
    0x1.6f850baea7aebp-1, 0x1.729e5f43f6d0ep-1, 0x1.75c1f0770d853p-1,
    0x1.78f033ca0b0d2p-1, 0x1.7c29a779c6855p-1, 0x1.7f6ed4b20e2c8p-1,
    0x1.82c050f56cf6bp-1, 0x1.861ebfc37bca7p-1, 0x1.898ad48badefep-1,
    0x1.8d0554fe60aa4p-1, 0x1.908f1bd31714bp-1, 0x1.94291c21b7a43p-1,
    0x1.97d4657617abep-1, 0x1.9b9228d24067ep-1, 0x1.9f63bee651fd5p-1,
    0x1.a34aafdf5af0cp-1, 0x1.a748bd550c9dep-1, 0x1.ab5fef17a2501p-1,
    0x1.af92a3f6ce89fp-1, 0x1.b3e3a8234dd0dp-1, 0x1.b85653a8ff54fp-1,
    0x1.bceeb4ee1dc7fp-1, 0x1.c1b1cd9eebae7p-1, 0x1.c6a5ecea9787cp-1,
    0x1.cbd33a8a72de8p-1, 0x1.d144978a119d9p-1, 0x1.d70920657bcefp-1,
    0x1.dd36fa704de93p-1, 0x1.e3f11e027f074p-1, 0x1.eb7545b6ca913p-1,
    0x1.f446ac979f084p-1, 0x1.0000000000000p+0,
};

/* The slow path once, for both stream types: a source of 64-bit outputs and uniforms. */
typedef struct source {
    void *g;
    uint64_t (*next)(void *g);
    double (*uniform)(void *g);
    double (*uniform_pos)(void *g);
} source;

/* Marsaglia (1964): beyond r, a = -ln(U1) / r and b = -ln(U2) until 2b > a^2; r + a then
 * has the normal tail's density. */
static double tail(const source *src)
{
    for (;;) {
        double a = -log(src->uniform_pos(src->g)) / CX_NORMAL_R;
        double b = -log(src->uniform_pos(src->g));
        if (b + b > a * a)
            return CX_NORMAL_R + a;
    }
}

static double slow(const source *src, uint64_t b)
{
    for (;;) {
        unsigned i = (unsigned)(b & 255u);
        const cx_normal_layer *l = &cx_normal_layers[i];
        double z = (double)(b >> 11) * l->w;
        if (z < l->edge)
            return (b & 256u) ? -z : z;
        if (i == 0) {
            double t = tail(src);
            return (b & 256u) ? -t : t;
        }
        /* the wedge: a height uniform in [f(x_i), f(x_{i+1})), under the curve at z? */
        double y = cx_normal_f[i] + src->uniform(src->g) * (cx_normal_f[i + 1] - cx_normal_f[i]);
        if (y < exp(-0.5 * z * z))
            return (b & 256u) ? -z : z;
        b = src->next(src->g);
    }
}

static uint64_t next64(void *g) { return cx_pcg64_next(g); }
static double uniform64(void *g) { return cx_pcg64_uniform(g); }
static double uniform_pos64(void *g) { return cx_pcg64_uniform_pos(g); }
static uint64_t next32(void *g) { return cx_pcg32_next64(g); }
static double uniform32(void *g) { return cx_pcg32_uniform(g); }
static double uniform_pos32(void *g) { return cx_pcg32_uniform_pos(g); }

double cx_normal_slow(cx_pcg64 *g, uint64_t b)
{
    const source src = { g, next64, uniform64, uniform_pos64 };
    return slow(&src, b);
}

double cx_normal_slow32(cx_pcg32 *g, uint64_t b)
{
    const source src = { g, next32, uniform32, uniform_pos32 };
    return slow(&src, b);
}

uint64_t cx_normal_fast_limit(int i)
{
    const cx_normal_layer *l = &cx_normal_layers[i];
    /* the least u in [lo, hi] whose product reaches the edge; hi = 2^53 stands for none */
    uint64_t lo = 0, hi = (uint64_t)1 << 53;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((double)mid * l->w >= l->edge)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
