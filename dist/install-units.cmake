# SPDX-License-Identifier: Apache-2.0
# Runs at install time (install(SCRIPT), dist/CMakeLists.txt sets the
# RP_UNIT_* variables): the units name the programs under the prefix
# actually installed to (cmake --install --prefix P), never DESTDIR.
string(MD5 rp_unit_tag "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(rp_unit_out "${RP_UNIT_BIN}/${rp_unit_tag}")
set(RP_SBINDIR "${CMAKE_INSTALL_PREFIX}/${RP_UNIT_SBINDIR}")
set(RP_MOSQUITTO "${RP_UNIT_MOSQUITTO}")
foreach(u rampartd rampart-broker)
  configure_file("${RP_UNIT_SRC}/${u}.service.in"
    "${rp_unit_out}/${u}.service" @ONLY)
  file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
    TYPE FILE
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
    FILES "${rp_unit_out}/${u}.service")
endforeach()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d"
  TYPE FILE
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  RENAME rampart.conf
  FILES "${RP_UNIT_SRC}/rampart.sysusers")
