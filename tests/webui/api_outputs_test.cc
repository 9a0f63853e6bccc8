// A trial's output files (trials/<seq>/output/): the list, one file with its content
// type and the sandboxing Content-Security-Policy, and every way out of the directory
// refused (names with '/', "..", hidden names, symlinks, an output/ that is a symlink).
#include <filesystem>
#include <fstream>

#include "tests/webui/webui_fixture.h"

namespace hone::webui {
namespace {

using nlohmann::json;

const char* kSvg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\"><script>alert(1)</script>"
                   "<rect width=\"40\" height=\"20\" fill=\"#36c\"/></svg>\n";

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class OutputsTest : public WebuiTest {
 protected:
  std::string Output(int seq) { return ExperimentDir(home_, "abc123") + "/trials/" + std::to_string(seq) + "/output"; }
  std::string Url(int seq, const std::string& name = "") {
    return "/api/v1/experiments/abc123/trials/" + std::to_string(seq) + "/outputs" + (name.empty() ? "" : "/" + name);
  }
};

TEST_F(OutputsTest, ListsRegularFilesByNameWithSizeAndType) {
  MakeExperiment("abc123", 3, 1);
  WriteFile(Output(1) + "/cell.svg", kSvg);
  WriteFile(Output(1) + "/arch.yaml", "space: nb201-small\n");
  WriteFile(Output(1) + "/weights.bin", std::string(1000, 'w'));
  WriteFile(Output(1) + "/.hidden", "x");
  WriteFile(Output(1) + "/sub/inner.txt", "not listed");
  std::filesystem::create_symlink(Output(1) + "/arch.yaml", Output(1) + "/link.yaml");
  StartServer();
  json list = GetOk(Url(1));
  ASSERT_EQ(list["files"].size(), 3u) << list.dump();
  EXPECT_EQ(list["files"][0], (json{{"name", "arch.yaml"}, {"size", 19}, {"type", "text/plain; charset=utf-8"}}));
  EXPECT_EQ(list["files"][1], (json{{"name", "cell.svg"}, {"size", std::string(kSvg).size()}, {"type", "image/svg+xml"}}));
  EXPECT_EQ(list["files"][2]["name"], "weights.bin");
  EXPECT_EQ(list["files"][2]["type"], "application/octet-stream");
  EXPECT_EQ(list["truncated"], false);
  // A trial without an output directory has no files; an unknown trial is 404.
  EXPECT_EQ(GetOk(Url(2)), (json{{"files", json::array()}, {"truncated", false}}));
  EXPECT_EQ(ErrorStatus(Url(7)), 404);
  EXPECT_EQ(ErrorStatus("/api/v1/experiments/zzz999/trials/1/outputs"), 404);
}

TEST_F(OutputsTest, ServesAFileWithItsTypeAndASandboxingPolicy) {
  MakeExperiment("abc123", 3, 1);
  WriteFile(Output(1) + "/cell.svg", kSvg);
  WriteFile(Output(1) + "/arch.yaml", "space: nb201-small\n");
  WriteFile(Output(1) + "/weights.bin", std::string(1000, 'w'));
  WriteFile(Output(1) + "/empty.txt", "");
  StartServer();
  auto svg = client_->Get(Url(1, "cell.svg").c_str());
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->status, 200);
  EXPECT_EQ(svg->body, kSvg);
  EXPECT_EQ(svg->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_EQ(svg->get_header_value("Content-Security-Policy"), "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  EXPECT_EQ(svg->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(svg->get_header_value("Content-Disposition"), "inline; filename=\"cell.svg\"");
  auto yaml = client_->Get(Url(1, "arch.yaml").c_str());
  ASSERT_TRUE(yaml);
  EXPECT_EQ(yaml->body, "space: nb201-small\n");
  EXPECT_EQ(yaml->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  auto bin = client_->Get(Url(1, "weights.bin").c_str());
  ASSERT_TRUE(bin);
  EXPECT_EQ(bin->body.size(), 1000u);
  EXPECT_EQ(bin->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(bin->get_header_value("Content-Disposition"), "attachment; filename=\"weights.bin\"");
  auto empty = client_->Get(Url(1, "empty.txt").c_str());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(ErrorStatus(Url(1, "missing.svg")), 404);
  EXPECT_EQ(ErrorStatus(Url(2, "cell.svg")), 404);  // no output directory at all
  EXPECT_EQ(ErrorStatus(Url(7, "cell.svg")), 404);  // no such trial
}

TEST_F(OutputsTest, NamesThatLeaveTheDirectoryAndSymlinksAreRefused) {
  MakeExperiment("abc123", 3, 1);
  WriteFile(home_ + "/secret.txt", "secret\n");
  WriteFile(Output(1) + "/cell.svg", kSvg);
  WriteFile(Output(1) + "/.hidden", "x");
  WriteFile(Output(1) + "/sub/inner.txt", "x");
  std::filesystem::create_symlink(home_ + "/secret.txt", Output(1) + "/link.txt");
  StartServer();
  EXPECT_EQ(ErrorStatus(Url(1, "link.txt")), 409);  // a symlink is never followed
  EXPECT_EQ(ErrorStatus(Url(1, "sub")), 409);       // not a regular file
  EXPECT_EQ(ErrorStatus(Url(1, "..")), 400);
  EXPECT_EQ(ErrorStatus(Url(1, ".hidden")), 400);
  EXPECT_EQ(ErrorStatus(Url(1, "cell.svg%22")), 400);
  EXPECT_EQ(ErrorStatus(Url(1, "..%2F..%2F..%2F..%2Fsecret.txt")), 404);  // a '/' never reaches a file name
  EXPECT_EQ(ErrorStatus(Url(1, "%2Fetc%2Fpasswd")), 404);
  EXPECT_EQ(ErrorStatus(Url(1, "sub%2Finner.txt")), 404);
  // An output directory that is a symlink is neither listed nor read.
  std::filesystem::create_directories(Output(2) + "-elsewhere");
  WriteFile(Output(2) + "-elsewhere/cell.svg", kSvg);
  std::filesystem::create_symlink(Output(2) + "-elsewhere", Output(2));
  EXPECT_EQ(ErrorStatus(Url(2)), 409);
  EXPECT_EQ(ErrorStatus(Url(2, "cell.svg")), 409);
}

TEST_F(OutputsTest, AFileOverTheSizeCapIsRefused) {
  MakeExperiment("abc123", 3, 1);
  WriteFile(Output(1) + "/big.png", "");
  std::filesystem::resize_file(Output(1) + "/big.png", (32 << 20) + 1);  // sparse: no disk used
  StartServer();
  EXPECT_EQ(GetOk(Url(1))["files"][0]["size"], (32 << 20) + 1);
  EXPECT_EQ(ErrorStatus(Url(1, "big.png")), 409);
}

}  // namespace
}  // namespace hone::webui
