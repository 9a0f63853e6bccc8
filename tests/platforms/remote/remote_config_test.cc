// The remote platform's trainingService keys through the config reader: NNI's
// machineList read as written (any key spelling), and every mistake at file:line:col.
#include <gtest/gtest.h>

#include "platforms/remote/remote_options.h"
#include "tests/core/config_test_util.h"
#include "tests/platforms/local_platform_test_util.h"

namespace hone {
namespace {

class RemoteConfigTest : public testing::ConfigReaderTest {
 protected:
  RemoteConfigTest() { testing::WriteFile(key_, "not a real key\n"); }
  std::string Yaml(const std::string& machines, const std::string& extra = "") {
    return "searchSpace: {x: {_type: choice, _value: [1]}}\ntrialCommand: python3 t.py\n"
           "trialConcurrency: 2\ntuner: {name: random}\ntrainingService:\n  platform: remote\n" +
           extra + "  machineList:\n" + machines;
  }
  testing::TempDir dir_;
  std::string key_ = dir_ / "id_test";
};

TEST_F(RemoteConfigTest, NniMachineListIsReadInAnySpelling) {
  auto cfg = Read(Yaml("    - host: gpu1\n      port: 2200\n      user: me\n      ssh_key_file: " + key_ +
                           "\n      python_path: /opt/py/bin\n      gpuIndices: '0,1'\n"
                           "      maxTrialNumberPerGpu: 2\n      useActiveGpu: false\n"
                           "    - {host: gpu2, maxConcurrentTrials: 3}\n",
                       "  remoteDir: /scratch/hone\n  trialCodeSizeLimit: 10m\n  sshOptions: [ProxyJump=gw]\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->platform, "remote");
  auto options = RemoteOptionsFromConfig(*cfg);
  ASSERT_TRUE(options.ok()) << options.status().message();
  ASSERT_EQ(options->machines.size(), 2u);
  const RemoteMachine& m = options->machines[0];
  EXPECT_EQ(m.host, "gpu1");
  EXPECT_EQ(m.port, 2200);
  EXPECT_EQ(m.user, "me");
  EXPECT_EQ(m.ssh_key_file, key_);
  EXPECT_EQ(m.python_path, "/opt/py/bin");
  EXPECT_EQ(m.gpu_indices, (std::vector<int>{0, 1}));
  EXPECT_EQ(m.max_trial_number_per_gpu, 2);
  EXPECT_FALSE(m.use_active_gpu);
  EXPECT_EQ(options->machines[1].port, 22);
  EXPECT_EQ(options->machines[1].max_concurrent_trials, 3);
  EXPECT_EQ(options->remote_dir, "/scratch/hone");
  EXPECT_EQ(options->code_size_limit, 10 << 20);
  EXPECT_EQ(options->ssh_options, (std::vector<std::string>{"ProxyJump=gw"}));
}

TEST_F(RemoteConfigTest, CodeSizeLimitDefaultsTo300Megabytes) {
  auto cfg = Read(Yaml("    - host: a\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  auto options = RemoteOptionsFromConfig(*cfg);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->code_size_limit, 300ll << 20);
  EXPECT_EQ(options->remote_dir, "~/.hone");
}

TEST_F(RemoteConfigTest, UnknownMachineKeyIsAnErrorAtItsPosition) {
  std::string errors = Errors(Yaml("    - host: a\n      prot: 22\n"));
  EXPECT_NE(errors.find("exp.yaml:9:7: error: trainingService.machineList[0].prot: "), std::string::npos) << errors;
  EXPECT_NE(errors.find("port"), std::string::npos) << "did-you-mean: " << errors;
}

TEST_F(RemoteConfigTest, MissingKeyFileIsAnError) {
  std::string errors = Errors(Yaml("    - host: a\n      sshKeyFile: /nonexistent/id_rsa\n"));
  EXPECT_NE(errors.find("exp.yaml:9:19: error: trainingService.machineList[0].sshKeyFile: the key file must exist, "
                        "but '/nonexistent/id_rsa' does not"),
            std::string::npos)
      << errors;
}

TEST_F(RemoteConfigTest, BadPortMissingHostAndEmptyListAreErrors) {
  std::string errors = Errors(Yaml("    - host: a\n      port: 70000\n    - user: me\n"));
  EXPECT_NE(errors.find("exp.yaml:9:13: error: trainingService.machineList[0].port"), std::string::npos) << errors;
  EXPECT_NE(errors.find("trainingService.machineList[1].host"), std::string::npos) << errors;
  std::string empty = Errors(Yaml("    []\n"));
  EXPECT_NE(empty.find("trainingService.machineList: expected a list of machines"), std::string::npos) << empty;
}

TEST_F(RemoteConfigTest, PasswordsAreRefusedWithoutEchoingThem) {
  std::string errors = Errors(Yaml("    - host: a\n      passwd: hunter2\n"));
  EXPECT_NE(errors.find("exp.yaml:9:7: error: trainingService.machineList[0].passwd: passwords are never stored"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("ssh-agent"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("hunter2"), std::string::npos) << "the secret itself is never shown";
  std::string typo = Errors(Yaml("    - host: a\n      pasword: hunter2\n"));
  EXPECT_NE(typo.find("machineList[0].pasword: passwords are never stored"), std::string::npos) << typo;
  EXPECT_EQ(typo.find("hunter2"), std::string::npos);
}

TEST_F(RemoteConfigTest, BadSizeLimitAndSshOptionsAreErrors) {
  std::string errors = Errors(Yaml("    - host: a\n", "  trialCodeSizeLimit: lots\n  sshOptions: ProxyJump\n"));
  EXPECT_NE(errors.find("trainingService.trialCodeSizeLimit"), std::string::npos) << errors;
  EXPECT_NE(errors.find("trainingService.sshOptions: expected a list of ssh options"), std::string::npos) << errors;
}

TEST_F(RemoteConfigTest, GpuIndicesThatAreListedMustBeEnoughAndUnlistedAreDiscovered) {
  std::string errors = Errors("trialGpuNumber: 2\n" +
                              Yaml("    - {host: a, gpuIndices: [0, 1]}\n    - {host: b, gpuIndices: [3]}\n"
                                   "    - host: c\n"));
  EXPECT_NE(errors.find("exp.yaml:10:29: error: trainingService.machineList[1].gpuIndices: trialGpuNumber is 2"),
            std::string::npos)
      << errors;
  EXPECT_EQ(errors.find("machineList[0]"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("machineList[2]"), std::string::npos) << "no gpuIndices: nvidia-smi on the host tells. " << errors;
}

TEST_F(RemoteConfigTest, MultiplexIsReadPlatformWideAndPerMachineAndCheckedAtItsPosition) {
  auto cfg = Read(Yaml("    - host: a\n    - {host: b, multiplex: true}\n", "  multiplex: false\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  auto options = RemoteOptionsFromConfig(*cfg);
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_FALSE(options->multiplex);
  EXPECT_FALSE(options->machines[0].multiplex.has_value());
  EXPECT_EQ(options->machines[1].multiplex, std::optional<bool>(true));
  std::string errors = Errors(Yaml("    - {host: a, multiplex: sometimes}\n", "  multiplex: 3\n"));
  EXPECT_NE(errors.find("exp.yaml:7:14: error: trainingService.multiplex"), std::string::npos) << errors;
  EXPECT_NE(errors.find("exp.yaml:9:28: error: trainingService.machineList[0].multiplex"), std::string::npos)
      << errors;
}

}  // namespace
}  // namespace hone
