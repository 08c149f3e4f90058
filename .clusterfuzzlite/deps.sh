# Sourced by build.sh and build-server-fuzzer.sh (docs/fuzzing.md, docs/fuzzing-black-box.md). In the image
# (Dockerfile: pinned sources in $SRC/deps), builds what Debian 12 gives sockspec as packages, with the
# fuzzers' compiler and flags, into $WORK/deps, and points CMake and pkg-config there: fmt (compiled, so
# against the fuzzers' libc++), CLI11 and nlohmann-json (headers), libpcap and RE2 static (the runner image
# has neither shared library). Outside the image (no $SRC/deps) it does nothing: the system's packages are
# used, which is how the scripts are checked locally.
# Defines sockspec_configure BUILD_DIR: sockspec configured as a fuzzer build for the image, with the
# environment's $CXX and flags, $LIB_FUZZING_ENGINE as the engine, and no sanitizer or coverage flags of its own.
sockspec_deps_prefix="$WORK/deps"
if [ -d "$SRC/deps/fmt" ]; then
  sockspec_deps_jobs="$(nproc)"
  cmake -S "$SRC/deps/fmt" -B "$WORK/fmt" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$sockspec_deps_prefix" -DFMT_DOC=OFF -DFMT_TEST=OFF -DBUILD_SHARED_LIBS=OFF
  cmake --build "$WORK/fmt" -j "$sockspec_deps_jobs" --target install
  cmake -S "$SRC/deps/CLI11" -B "$WORK/CLI11" -G Ninja -DCMAKE_INSTALL_PREFIX="$sockspec_deps_prefix" \
    -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF -DCLI11_BUILD_DOCS=OFF
  cmake --build "$WORK/CLI11" --target install
  cmake -S "$SRC/deps/json" -B "$WORK/json" -G Ninja -DCMAKE_INSTALL_PREFIX="$sockspec_deps_prefix" \
    -DJSON_BuildTests=OFF
  cmake --build "$WORK/json" --target install
  # libpcap, static and with nothing optional: the runner image has none of its shared dependencies.
  (cd "$SRC/deps/libpcap" && ./autogen.sh >/dev/null 2>&1 || true
   cd "$SRC/deps/libpcap" && ./configure --prefix="$sockspec_deps_prefix" --disable-shared --disable-usb \
     --disable-netmap --disable-bluetooth --disable-dbus --disable-rdma --without-libnl --disable-remote &&
   make -j "$sockspec_deps_jobs" && make install)
  # RE2 2022-06-01, Debian 12's version (later ones need Abseil). Its Makefile installs re2.pc; the shared
  # library it installs beside the static one is removed, so that the static one is linked.
  make -C "$SRC/deps/re2" -j "$sockspec_deps_jobs" CXX="$CXX" CXXFLAGS="$CXXFLAGS -O2" \
    prefix="$sockspec_deps_prefix" install
  rm -f "$sockspec_deps_prefix"/lib/libre2.so*
  export PKG_CONFIG_PATH="$sockspec_deps_prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi

sockspec_configure() {
  cmake -S "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" -B "$1" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_PREFIX_PATH="$sockspec_deps_prefix" \
    -DSOCKSPEC_BUILD_FUZZERS=ON -DSOCKSPEC_BUILD_TESTS=OFF -DSOCKSPEC_BUILD_BENCH=OFF \
    -DSOCKSPEC_SANITIZE= -DSOCKSPEC_FUZZ_OWN_INSTRUMENTATION=OFF -DSOCKSPEC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
}
